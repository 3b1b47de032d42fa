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
}

/** A stored record: the entry plus its place and links in the hash chain. */
export interface AuditRecord extends AuditEntry {
  seq: bigint;
  prevHash: string;
  hash: string;
}
