/**
 * How the gateway reaches the subgraphs it serves itself (audit, governance)
 * when they are at its own address: in this process, through the subgraph's
 * `handleInProcess`, with the same gateway token, Apollo pipeline, deadline
 * and size limit as over loopback HTTP, minus the two sockets, the HTTP
 * parsing and the extra event-loop turns. A request the subgraph would
 * refuse (a token that does not verify) goes over HTTP instead, where it is
 * answered and recorded like any other caller's.
 */
import type { SecuredSubgraph } from "../platform/subgraph/createSecuredSubgraph.ts";
import {
  createSubgraphFetcher,
  DEFAULT_MAX_SUBGRAPH_RESPONSE_BYTES,
  SubgraphDeadlineError,
  SubgraphResponseTooLargeError,
  type SubgraphFetcher,
} from "./subgraphs/createSubgraphFetcher.ts";

export function createOwnSubgraphFetcher(
  subgraph: Pick<SecuredSubgraph, "handleInProcess">,
  options: { timeoutMs: number; maxResponseBytes?: number },
): SubgraphFetcher {
  const maxResponseBytes = options.maxResponseBytes ?? DEFAULT_MAX_SUBGRAPH_RESPONSE_BYTES;
  let overHttp: SubgraphFetcher | undefined;
  return async (url, headers, body) => {
    let deadline: NodeJS.Timeout | undefined;
    const timedOut = new Promise<never>((_, reject) => {
      deadline = setTimeout(() => reject(new SubgraphDeadlineError()), options.timeoutMs);
    });
    let answer;
    try {
      answer = await Promise.race([subgraph.handleInProcess(headers, body), timedOut]);
    } finally {
      clearTimeout(deadline);
    }
    if (!answer) {
      overHttp ??= createSubgraphFetcher({ timeoutMs: options.timeoutMs, maxResponseBytes });
      return overHttp(url, headers, body);
    }
    // Characters first: a string's UTF-8 bytes are at most three per UTF-16 unit.
    if (answer.body.length * 3 > maxResponseBytes && Buffer.byteLength(answer.body) > maxResponseBytes) {
      throw new SubgraphResponseTooLargeError(maxResponseBytes);
    }
    return answer;
  };
}
