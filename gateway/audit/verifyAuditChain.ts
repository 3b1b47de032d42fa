/**
 * Checks the whole audit chain: `seq` without gaps, each record's `prevHash`
 * equal to its predecessor's hash, each hash recomputed from the record, and
 * every signed head (signature by the gateway's key, and the record at that
 * seq carrying that hash). Names the first bad record.
 */
import { existsSync, readFileSync } from "node:fs";
import { compactVerify, createLocalJWKSet, type JSONWebKeySet } from "jose";
import type { AuditEntry } from "./AuditEntry.ts";
import { GENESIS_HASH, chainHash } from "./auditChain.ts";
import type { PrismaClient } from "./prisma/generated/client.ts";
import type { SignedHead } from "./startChainHeadSigning.ts";

export interface ChainVerification {
  ok: boolean;
  records: number;
  signedHeads: number;
  /** The first record found bad (its seq), when not ok. */
  firstBadSeq: string | null;
  problem: string | null;
}

const PAGE = 2000;

export async function verifyAuditChain(options: { prisma: PrismaClient; gatewayJwks: JSONWebKeySet; headsPath: string }): Promise<ChainVerification> {
  const heads = await readHeads(options.headsPath, options.gatewayJwks);
  const result = (firstBadSeq: bigint | null, problem: string | null, records: number): ChainVerification => ({
    ok: problem === null,
    records,
    signedHeads: heads.valid.length,
    firstBadSeq: firstBadSeq?.toString() ?? null,
    problem,
  });
  if (heads.problem) return result(null, heads.problem, 0);
  const headAt = new Map(heads.valid.map((h) => [BigInt(h.seq), h]));
  let expected = 1n;
  let prevHash = GENESIS_HASH;
  let records = 0;
  let lastGoodHead = 0n;
  for (;;) {
    const rows = await options.prisma.auditRecord.findMany({ where: { seq: { gte: expected } }, orderBy: { seq: "asc" }, take: PAGE });
    for (const row of rows) {
      if (row.seq !== expected) return result(expected, `record ${expected} is missing (deleted?)`, records);
      if (row.prevHash !== prevHash) return result(row.seq, `record ${row.seq} does not follow record ${row.seq - 1n} (prev_hash differs: moved, inserted or a predecessor deleted)`, records);
      const { seq, prevHash: _p, hash, ...entry } = row;
      if (chainHash(prevHash, seq, entry as AuditEntry) !== hash) return result(seq, `record ${seq} was changed after it was written`, records);
      const head = headAt.get(seq);
      if (head && head.hash !== hash) {
        return result(
          lastGoodHead + 1n,
          `records ${lastGoodHead + 1n}..${seq} differ from the head signed at ${head.signedAt} (chain recomputed after an edit)`,
          records,
        );
      }
      if (head) lastGoodHead = seq;
      prevHash = hash;
      expected += 1n;
      records++;
    }
    if (rows.length < PAGE) break;
  }
  const beyond = heads.valid.find((h) => BigInt(h.seq) >= expected);
  if (beyond) return result(expected, `records from ${expected} on are missing: a head was signed at seq ${beyond.seq} (truncated?)`, records);
  return result(null, null, records);
}

async function readHeads(path: string, jwks: JSONWebKeySet): Promise<{ valid: SignedHead[]; problem: string | null }> {
  if (!existsSync(path)) return { valid: [], problem: null };
  const keySet = createLocalJWKSet(jwks);
  const valid: SignedHead[] = [];
  const lines = readFileSync(path, "utf8").split("\n").filter(Boolean);
  for (const [index, line] of lines.entries()) {
    try {
      const head = JSON.parse(line) as SignedHead;
      const { payload } = await compactVerify(head.jws, keySet, { algorithms: ["ES256", "EdDSA", "RS256"] });
      const signed = JSON.parse(new TextDecoder().decode(payload)) as Omit<SignedHead, "jws">;
      if (signed.seq !== head.seq || signed.hash !== head.hash) throw new Error();
      valid.push(head);
    } catch {
      return { valid, problem: `signed head on line ${index + 1} of ${path} does not verify` };
    }
  }
  return { valid, problem: null };
}
