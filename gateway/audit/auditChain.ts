/**
 * The audit hash chain. Each record's hash covers the previous record's hash
 * and the record's canonical form, so editing, deleting, inserting or
 * reordering any record breaks every hash after it.
 */
import { createHash } from "node:crypto";
import type { AuditEntry } from "./AuditEntry.ts";

/** The `prevHash` of the first record. */
export const GENESIS_HASH = "0".repeat(64);

/**
 * The canonical form of a record: a JSON array in a fixed order, versioned.
 * `audit-v1` records carry neither verifications nor a governance action;
 * `audit-v2` appends both (null when absent), with object keys sorted.
 */
export function canonicalAuditRecord(seq: bigint, entry: AuditEntry): string {
  const extended = (entry.verifications != null && entry.verifications.length > 0) || entry.governance != null;
  const base: unknown[] = [
    extended ? "audit-v2" : "audit-v1",
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
  ];
  if (extended) base.push(sortedKeys(entry.verifications ?? null), sortedKeys(entry.governance ?? null));
  return JSON.stringify(base);
}

/** A JSON value with every object's keys in code-point order, so the same record hashes the same after a database round trip. */
export function sortedKeys(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(sortedKeys);
  if (value === null || typeof value !== "object") return value;
  const sorted: Record<string, unknown> = {};
  for (const key of Object.keys(value).sort()) {
    const item = (value as Record<string, unknown>)[key];
    if (item !== undefined) sorted[key] = sortedKeys(item);
  }
  return sorted;
}

/** The hash of record `seq` whose predecessor's hash is `prevHash`. */
export function chainHash(prevHash: string, seq: bigint, entry: AuditEntry): string {
  return createHash("sha256").update(prevHash).update("\n").update(canonicalAuditRecord(seq, entry)).digest("hex");
}
