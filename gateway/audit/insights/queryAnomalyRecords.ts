/**
 * The records behind an anomaly flag: its scope as one indexed query on
 * audit_record (app and time range first), newest first.
 */
import type { AuditRecord } from "../AuditEntry.ts";
import { Prisma, type PrismaClient } from "../prisma/generated/client.ts";
import type { AnomalyScope } from "./AuditAnomaly.ts";

export async function queryAnomalyRecords(prisma: PrismaClient, scope: AnomalyScope, first: number): Promise<AuditRecord[]> {
  const rows = await prisma.auditRecord.findMany({
    where: {
      app: scope.app,
      time: { gte: scope.since, lt: scope.until },
      governance: { equals: Prisma.DbNull },
      ...(scope.purpose !== undefined ? { purpose: scope.purpose || null } : {}),
      ...(scope.citizen ? { citizens: { has: scope.citizen } } : {}),
      ...(scope.fields?.length ? { requestedFields: { hasSome: scope.fields } } : {}),
      ...(scope.released ? { dataReleased: true } : {}),
      ...(scope.denied ? { OR: [{ outcome: "DENIED" as const }, { NOT: { deniedFields: { isEmpty: true } } }] } : {}),
    },
    orderBy: { seq: "desc" },
    take: Math.max(1, Math.min(first, 500)),
  });
  return rows as AuditRecord[];
}
