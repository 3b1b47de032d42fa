/**
 * An ordinary audit entry for tests that write records through the real
 * writer: one app of three reading a citizen's name, allowed and released.
 * Month helpers for the partitioned log beside it.
 */
import type { AuditEntry } from "../../gateway/audit/AuditEntry.ts";
import { SYNTHETIC_APPS } from "../../scripts/bench/syntheticAuditLog.ts";

/** The i-th entry of a suite (`label` names its request ids, token and purpose). */
export function auditEntryOf(label: string, i: number, citizens: string[]): AuditEntry {
  return {
    time: new Date(),
    requestId: `${label}-${i}`,
    app: SYNTHETIC_APPS[i % 3]!,
    tokenId: `${label}-token`,
    purpose: `AUDIT_${label.toUpperCase().replace(/-/g, "_")}_TEST`,
    operationName: label,
    operationHash: null,
    citizens,
    requestedFields: ["Citizen.name", "Query.citizen"],
    grantedFields: ["Citizen.name", "Query.citizen"],
    deniedFields: [],
    outcome: "ALLOWED",
    dataReleased: true,
    errorCodes: [],
    subgraphs: ["civil-affairs"],
    latencyMs: 3,
    clientAddress: "127.0.0.1",
  };
}

/** The first day (UTC) of the month `offset` months from `now`'s. */
export const monthFrom = (offset: number, now = new Date()) => new Date(Date.UTC(now.getUTCFullYear(), now.getUTCMonth() + offset, 1));

/** YYYY-MM. */
export const monthName = (date: Date) => date.toISOString().slice(0, 7);
