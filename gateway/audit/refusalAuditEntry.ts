import type { IncomingMessage } from "node:http";
import type { HttpError } from "../../platform/http/createGraphQLHttpServer.ts";
import type { Principal } from "../authn/Principal.ts";
import type { AuditEntry } from "./AuditEntry.ts";
import { sanitizeAuditText } from "./sanitizeAuditText.ts";
import { requestIdOf } from "../../platform/http/requestId.ts";

/**
 * The record of a request refused before GraphQL ran (401, 413, 429, a
 * malformed body): UNAUTHENTICATED or REJECTED, with whatever was known of
 * the caller when it was refused.
 */
export function refusalAuditEntry(
  request: IncomingMessage,
  error: HttpError,
  startedAtMonotonic: number,
  /** The client's address as the gateway resolves it (trusted proxies). @default the socket's peer */
  clientAddress: string | null | undefined = request.socket?.remoteAddress,
): AuditEntry {
  const caller = error.detail as Principal | undefined;
  return {
    time: new Date(),
    requestId: requestIdOf(request),
    app: sanitizeAuditText(caller?.app),
    tokenId: sanitizeAuditText(caller?.tokenId),
    purpose: sanitizeAuditText(caller?.purpose),
    operationName: null,
    operationHash: null,
    citizens: [],
    requestedFields: [],
    grantedFields: [],
    deniedFields: [],
    outcome: error.status === 401 ? "UNAUTHENTICATED" : "REJECTED",
    dataReleased: false,
    errorCodes: [error.code],
    subgraphs: [],
    latencyMs: Math.round(performance.now() - startedAtMonotonic),
    clientAddress: sanitizeAuditText(clientAddress, 64),
  };
}
