/**
 * The audit hash chain. Each record's hash covers the previous record's hash
 * and the record's canonical form, so editing, deleting, inserting or
 * reordering any record breaks every hash after it.
 */
import { createHash } from "node:crypto";
import type { AuditEntry } from "./AuditEntry.ts";

/** The `prevHash` of the first record. */
export const GENESIS_HASH = "0".repeat(64);

/** The canonical form of a record: a JSON array in a fixed order, versioned. */
export function canonicalAuditRecord(seq: bigint, entry: AuditEntry): string {
  return JSON.stringify([
    "audit-v1",
    seq.toString(),
    entry.time.toISOString(),
    entry.requestId,
    entry.app,
    entry.tokenId,
    entry.purpose,
    entry.operationName,
    entry.operationHash,
    entry.citizens,
    entry.requestedFields,
    entry.grantedFields,
    entry.deniedFields,
    entry.outcome,
    entry.dataReleased,
    entry.errorCodes,
    entry.subgraphs,
    entry.latencyMs,
    entry.clientAddress,
  ]);
}

/** The hash of record `seq` whose predecessor's hash is `prevHash`. */
export function chainHash(prevHash: string, seq: bigint, entry: AuditEntry): string {
  return createHash("sha256").update(prevHash).update("\n").update(canonicalAuditRecord(seq, entry)).digest("hex");
}
