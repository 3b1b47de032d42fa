/**
 * The audit record of one governance step (apply, grant, refuse, revoke,
 * expire, register an app): `app` is who acted, as for every request; the
 * app the step concerns, and its actor and reason, are in `governance`.
 */
import { randomUUID } from "node:crypto";
import type { AuditEntry, GovernanceAction } from "../audit/AuditEntry.ts";

export function governanceAuditEntry(options: { app: string; purpose: string | null; action: GovernanceAction; time?: Date }): AuditEntry {
  return {
    time: options.time ?? new Date(),
    requestId: randomUUID(),
    app: options.app,
    tokenId: null,
    purpose: options.purpose,
    operationName: `governance:${options.action.action}`,
    operationHash: null,
    citizens: [],
    requestedFields: [],
    grantedFields: [],
    deniedFields: [],
    outcome: "ALLOWED",
    dataReleased: false,
    errorCodes: [],
    subgraphs: ["governance"],
    latencyMs: 0,
    clientAddress: null,
    governance: options.action,
  };
}
