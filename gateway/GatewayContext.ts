import type { Principal } from "./authn/Principal.ts";
import type { AuthorizationDecision } from "./authz/createOperationAuthorizer.ts";

/** Per-request state of the gateway, built once the caller's token is verified. */
export interface GatewayContext {
  principal: Principal;
  /** Set by the authorization plugin; null when the operation could not be checked (Apollo reports why). */
  authorization?: AuthorizationDecision | null;
}
