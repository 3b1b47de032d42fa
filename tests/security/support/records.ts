/** Reading a system's audit records in the security suites. */
import { decodeJwt } from "jose";
import type { System } from "../../support/startSystem.ts";

export const jtiOf = (token: string) => decodeJwt(token).jti as string;

/** Every record of requests made with `token`, oldest first. */
export function recordsOfToken(system: System, token: string) {
  return system.gateway.audit.database.prisma.auditRecord.findMany({ where: { tokenId: jtiOf(token) }, orderBy: { seq: "asc" } });
}

/** The highest `seq` so far (0n when empty). */
export async function lastSeq(system: System): Promise<bigint> {
  await system.gateway.audit.writer.drain();
  return (await system.gateway.audit.database.prisma.auditRecord.findFirst({ orderBy: { seq: "desc" }, select: { seq: true } }))?.seq ?? 0n;
}

/** Records written after `seq`, oldest first. */
export async function recordsAfter(system: System, seq: bigint) {
  await system.gateway.audit.writer.drain();
  return system.gateway.audit.database.prisma.auditRecord.findMany({ where: { seq: { gt: seq } }, orderBy: { seq: "asc" } });
}
