import type { Principal } from "./authn/Principal.ts";
import type { AuthorizationDecision } from "./authz/createOperationAuthorizer.ts";

/** Per-request state of the gateway, built once the caller's token is verified. */
export interface GatewayContext {
  principal: Principal;
  requestId: string;
  /** Wall-clock start (ms since epoch) and a monotonic start for latency. */
  startedAt: number;
  startedAtMonotonic: number;
  clientAddress: string | null;
  /** Agencies fetched from, filled by the data sources. */
  subgraphsCalled: Set<string>;
  /** Citizens the agencies read or refused, as they report them. */
  citizensRead: Set<string>;
  /** Set by the authorization plugin; null when the operation could not be checked (Apollo reports why). */
  authorization?: AuthorizationDecision | null;
}
