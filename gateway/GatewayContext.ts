import type { Principal } from "./authn/Principal.ts";
import type { VerificationUse } from "./audit/AuditEntry.ts";
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
  /** Set by the authorization plugin; absent when the operation was refused before it could be decided. */
  authorization?: AuthorizationDecision | null;
  /**
   * `recorded` is set once the audit plugin has taken the request (it then
   * writes the one record). An object, because Apollo Server runs plugins on a
   * shallow copy of the context: the HTTP layer reads the same object.
   */
  auditState?: { recorded: boolean };
  /** The name of the operation the authorization plugin chose (kept when it refuses and runs `{ __typename }` instead). */
  operationName?: string | null;
  /** Resident ids the operation names (root arguments after variable coercion), set by the authorization plugin. */
  citizensAskedFor?: string[];
  /** Verification fields evaluated or refused, for the audit record. */
  verifications?: VerificationUse[];
}
