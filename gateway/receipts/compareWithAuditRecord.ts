/**
 * Whether the audit record a receipt names says what the receipt says: the
 * same seq and hash, time, app, purpose, citizens and granted fields. Each
 * difference is named. For auditors opening the record behind a receipt.
 */
import type { ReceiptClaims } from "./Receipt.ts";

/** The audit record's members a receipt repeats, as the audit subgraph serves them. */
export interface AuditRecordView {
  seq: string;
  hash: string;
  time: string;
  app: string | null;
  purpose: string | null;
  citizenPseudonyms: string[];
  grantedFields: string[];
}

export function compareWithAuditRecord(claims: ReceiptClaims, record: AuditRecordView): string[] {
  const pairs: Array<[string, unknown, unknown]> = [
    ["audit.seq", claims.audit.seq, record.seq],
    ["audit.hash", claims.audit.hash, record.hash],
    ["time", new Date(claims.time).toISOString(), new Date(record.time).toISOString()],
    ["app", claims.app, record.app],
    ["purpose", claims.purpose, record.purpose],
    ["citizens", claims.citizens, record.citizenPseudonyms],
    ["fields", claims.fields, record.grantedFields],
  ];
  return pairs
    .filter(([, signed, stored]) => JSON.stringify(signed) !== JSON.stringify(stored))
    .map(([name, signed, stored]) => `${name}: the receipt says ${JSON.stringify(signed)}, the audit record ${JSON.stringify(stored)}`);
}
