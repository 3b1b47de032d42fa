/**
 * One audit record as the gateway writes it: who read which fields of whom
 * and why, and what came of it. Never a field value.
 */

/** What happened to a request, from the caller's point of view. */
export type AuditOutcome =
  /** Everything asked for was answered. */
  | "ALLOWED"
  /** Data was released, but some fields were denied or failed. */
  | "PARTIAL"
  /** Nothing asked for was permitted. */
  | "DENIED"
  /** No data: bad input, an invalid operation, or agencies unavailable. */
  | "FAILED"
  /** No valid token. */
  | "UNAUTHENTICATED"
  /** Refused before GraphQL ran: body too large, malformed, rate limited. */
  | "REJECTED";

export interface AuditEntry {
  time: Date;
  requestId: string;
  app: string | null;
  tokenId: string | null;
  purpose: string | null;
  operationName: string | null;
  /** SHA-256 of the operation text as received. */
  operationHash: string | null;
  /** HMAC pseudonyms of the citizens whose data was read or asked for, sorted. */
  citizens: string[];
  requestedFields: string[];
  grantedFields: string[];
  deniedFields: string[];
  outcome: AuditOutcome;
  /** Whether the response carried a `data` object. */
  dataReleased: boolean;
  errorCodes: string[];
  subgraphs: string[];
  latencyMs: number;
  clientAddress: string | null;
  /**
   * Verification fields evaluated, with the app's arguments (its thresholds,
   * never the answer). Absent or empty: none.
   */
  verifications?: VerificationUse[] | null;
  /** A governance action (apply, grant, refuse, revoke, expire); absent for data requests. */
  governance?: GovernanceAction | null;
}

/** One verification field asked for one citizen. */
export interface VerificationUse {
  /** Schema coordinate, e.g. `TaxpayerProfile.incomeAtLeast`. */
  coordinate: string;
  /** The citizen's pseudonym. */
  citizen: string;
  /** The arguments as the app sent them (after variable coercion). */
  arguments: Record<string, unknown>;
  /** Whether it was evaluated, or refused (VERIFICATION_LIMIT, VERIFICATION_BUDGET, GRANT_ARGUMENTS). */
  refused?: string | null;
}

/** One step of the data-sharing process, as recorded in the chain. */
export interface GovernanceAction {
  /** APPLY, GRANT, REFUSE, REVOKE, EXPIRE, REGISTER_APP. */
  action: string;
  /** Who acted (token subject), or `system` for automatic grants and expiry. */
  actor: string;
  /** Free text given with a refusal or revocation. */
  reason?: string | null;
  /** Anything else that identifies the step: application id, grant id, scopes, purpose. */
  [detail: string]: unknown;
}

/** A stored record: the entry plus its place and links in the hash chain. */
export interface AuditRecord extends AuditEntry {
  seq: bigint;
  prevHash: string;
  hash: string;
}
