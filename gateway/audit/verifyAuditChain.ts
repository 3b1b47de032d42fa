/**
 * Checks the audit chain: `seq` without gaps, each record's `prevHash` equal
 * to its predecessor's hash, each hash recomputed from the record, and every
 * signed head (signature by the gateway's key, and the record at that seq
 * carrying that hash). Names the first bad record.
 *
 * - `full` (the default here; `npm run audit -- verify --full`) starts at the
 *   first record, or, once months were archived and dropped by retention, at
 *   the archived boundary: the last dropped month's signed manifest gives the
 *   seq and hash the remaining chain must continue from.
 * - `incremental` (`npm run audit -- verify`) starts after the checkpoint: the
 *   last signed head an earlier verification reached, kept in the database
 *   with its signature and checked again. Its cost is proportional to the
 *   records written since.
 *
 * Either way the records are streamed in `seq` order, so memory stays
 * constant whatever the size of the log, and each record's hash input is
 * laid out by the database (canonicalAuditSql.ts) and hashed here. On a
 * PostgreSQL server the range is split into contiguous parts, each a
 * `COPY ... TO STDOUT` of its own checked concurrently (the database lays
 * out one part while this process hashes another), and the parts' joins are
 * checked after; on PGlite records are read in ranges, a few ahead.
 */
import { hash as digest } from "node:crypto";
import { createReadStream, existsSync } from "node:fs";
import { createInterface } from "node:readline";
import { StringDecoder } from "node:string_decoder";
import { compactVerify, createLocalJWKSet, type JSONWebKeySet } from "jose";
import type { SqlSession } from "../../platform/database/applyMigrations.ts";
import { GENESIS_HASH } from "./auditChain.ts";
import { CANONICAL_COLUMNS, completeCanonical, type CanonicalRow } from "./canonicalAuditSql.ts";
import type { PrismaClient } from "./prisma/generated/client.ts";
import type { SignedHead } from "./startChainHeadSigning.ts";
import { archivedBoundary } from "./auditArchive.ts";

export interface ChainVerification {
  ok: boolean;
  /** Records the verified chain holds: from the first kept record (1, or the archived boundary) to the last checked. */
  records: number;
  /** Records read and checked by this run (after the checkpoint, when incremental). */
  checked: number;
  signedHeads: number;
  /** The first record found bad (its seq), when not ok. */
  firstBadSeq: string | null;
  problem: string | null;
  /** The first seq this run checked ("1" from the start; after an archived boundary or a checkpoint, the next one). */
  fromSeq: string;
  /** Whether the run started after a checkpoint (incremental) rather than from the first kept record. */
  incremental: boolean;
}

export interface VerifyAuditChainOptions {
  /** The audit database. */
  session?: SqlSession;
  /** Or a Prisma client on it (its raw queries are used). */
  prisma?: PrismaClient;
  gatewayJwks: JSONWebKeySet;
  headsPath: string;
  /** @default "full" */
  mode?: "full" | "incremental";
  /** Records per range read. @default 20_000 */
  rangeSize?: number;
  /** Ranges read ahead while one is checked. @default 2 */
  readAhead?: number;
  /** Concurrent COPY streams over parts of the chain (PostgreSQL server). @default 2 */
  streams?: number;
  /** Fewest records worth a stream of their own. @default 100_000 */
  minPart?: number;
}

const SIGNATURE_ALGORITHMS = ["ES256", "EdDSA", "RS256"];

/** A SqlSession over a Prisma client's raw queries. */
export function prismaSession(prisma: PrismaClient): SqlSession {
  return {
    exec: async (sql) => void (await prisma.$executeRawUnsafe(sql)),
    query: <Row>(sql: string, params: unknown[] = []) => prisma.$queryRawUnsafe<Row[]>(sql, ...params),
  };
}

interface Start {
  /** The last seq before the kept chain (0, or the archived boundary). */
  base: number;
  seq: number;
  prevHash: string;
  incremental: boolean;
}

export async function verifyAuditChain(options: VerifyAuditChainOptions): Promise<ChainVerification> {
  const session = options.session ?? prismaSession(options.prisma!);
  const keySet = createLocalJWKSet(options.gatewayJwks);
  const rangeSize = options.rangeSize ?? 20_000;
  const readAhead = Math.max(1, options.readAhead ?? 2);

  let start: Start;
  try {
    start = (await archivedStart(session, keySet)) ?? { base: 0, seq: 1, prevHash: GENESIS_HASH, incremental: false };
    if (options.mode === "incremental") {
      const checkpoint = await readCheckpoint(session, keySet);
      if (checkpoint && checkpoint.seq >= start.seq) start = { base: start.base, seq: checkpoint.seq + 1, prevHash: checkpoint.hash, incremental: true };
    }
  } catch (error) {
    return { ok: false, records: 0, checked: 0, signedHeads: 0, firstBadSeq: null, problem: (error as Error).message, fromSeq: "1", incremental: false };
  }

  const heads = await readHeads(options.headsPath, keySet, start.seq);
  const result = (firstBadSeq: number | null, problem: string | null, checked: number): ChainVerification => ({
    ok: problem === null,
    records: start.seq - 1 - start.base + checked,
    checked,
    signedHeads: heads.valid.length,
    firstBadSeq: firstBadSeq === null ? null : String(firstBadSeq),
    problem,
    fromSeq: String(start.seq),
    incremental: start.incremental,
  });
  if (heads.problem) return result(null, heads.problem, 0);
  const headAt = new Map(heads.valid.map((h) => [Number(h.seq), h]));

  const [top] = await session.query<{ last: string | null }>("SELECT max(seq)::text AS last FROM audit_record");
  const lastSeq = top?.last == null ? 0 : Number(top.last);

  // Contiguous parts of the seq range, checked concurrently (each a COPY stream of its own); their joins checked after.
  const total = Math.max(0, lastSeq + 1 - start.seq);
  const partCount = session.copyOut ? Math.max(1, Math.min(options.streams ?? 2, Math.ceil(total / (options.minPart ?? MIN_PART)))) : 1;
  const parts: Part[] = [];
  for (let i = 0; i < partCount; i++) {
    const from = start.seq + Math.floor((total * i) / partCount);
    const to = start.seq + Math.floor((total * (i + 1)) / partCount);
    parts.push({ from, to, expected: from, firstPrevHash: null, lastHash: null, checked: 0, problem: null, goodHeads: [], abandoned: false });
  }
  const batchesOf = (part: Part): AsyncIterable<CanonicalRow[]> =>
    session.copyOut
      ? copyRows(session.copyOut(`COPY (SELECT ${CANONICAL_COLUMNS} FROM audit_record WHERE audit_record.seq >= ${part.from} AND audit_record.seq < ${part.to} ORDER BY audit_record.seq) TO STDOUT`))
      : rangeRows(session, part.from, part.to, rangeSize, readAhead);
  await Promise.all(
    parts.map(async (part, index) => {
      await checkPart(part, batchesOf(part), headAt, () => parts.slice(0, index).some((earlier) => earlier.problem !== null));
      // A problem here makes every later part moot.
      if (part.problem) for (const later of parts.slice(index + 1)) later.abandoned = true;
    }),
  );

  // Put the parts together in order: the first problem wins, and each part must continue the one before.
  let prevHash = start.prevHash;
  let records = 0;
  let lastGoodHead = start.seq - 1;
  let lastVerifiedHead: SignedHead | null = null;
  for (const part of parts) {
    if (part.firstPrevHash !== null && part.firstPrevHash !== prevHash) {
      return result(part.from, `record ${part.from} does not follow record ${part.from - 1} (prev_hash differs: moved, inserted or a predecessor deleted)`, records);
    }
    for (const head of part.goodHeads) {
      if (part.problem && Number(head.seq) >= part.problem.seq) break;
      lastGoodHead = Number(head.seq);
      lastVerifiedHead = head;
    }
    if (part.problem) {
      const { seq, kind } = part.problem;
      const checked = records + (seq - part.from);
      if (kind === "duplicate") return result(seq, `record ${seq} appears more than once (inserted?)`, checked);
      if (kind === "missing") return result(seq, `record ${seq} is missing (deleted?)`, checked);
      if (kind === "link") return result(seq, `record ${seq} does not follow record ${seq - 1} (prev_hash differs: moved, inserted or a predecessor deleted)`, checked);
      if (kind === "changed") return result(seq, `record ${seq} was changed after it was written`, checked);
      const head = headAt.get(seq)!;
      return result(lastGoodHead + 1, `records ${lastGoodHead + 1}..${seq} differ from the head signed at ${head.signedAt} (chain recomputed after an edit)`, checked);
    }
    if (part.lastHash !== null) prevHash = part.lastHash;
    records += part.checked;
  }
  const expected = start.seq + records;
  const beyond = heads.valid.find((h) => Number(h.seq) >= expected);
  if (beyond) return result(expected, `records from ${expected} on are missing: a head was signed at seq ${beyond.seq} (truncated?)`, records);
  if (lastVerifiedHead) await writeCheckpoint(session, lastVerifiedHead);
  return result(null, null, records);
}

/** Fewest records worth a stream of their own. */
const MIN_PART = 100_000;

/** One contiguous stretch of the chain, [from, to), as checked. */
interface Part {
  from: number;
  to: number;
  /** The next seq this part expects. */
  expected: number;
  /** The prev_hash of its first record (checked against the part before). */
  firstPrevHash: string | null;
  lastHash: string | null;
  checked: number;
  /** Its first bad record. */
  problem: { seq: number; kind: "duplicate" | "missing" | "link" | "changed" | "head" } | null;
  /** Signed heads matched, in order. */
  goodHeads: SignedHead[];
  /** An earlier part found a problem: this one stops. */
  abandoned: boolean;
}

/** Checks one part's records: seq without gaps, each linked to its predecessor, each hash recomputed, signed heads matched. */
async function checkPart(part: Part, batches: AsyncIterable<CanonicalRow[]>, headAt: Map<number, SignedHead>, earlierFailed: () => boolean): Promise<void> {
  let prevHash: string | null = null;
  let expected = part.from;
  const fail = (seq: number, kind: NonNullable<Part["problem"]>["kind"]) => {
    part.problem = { seq, kind };
  };
  outer: for await (const rows of batches) {
    if (part.abandoned || earlierFailed()) break;
    for (const row of rows) {
      const seq = Number(row.seq);
      if (seq < expected) {
        fail(seq, "duplicate");
        break outer;
      }
      if (seq !== expected) {
        fail(expected, "missing");
        break outer;
      }
      if (prevHash === null) part.firstPrevHash = row.prev_hash;
      else if (row.prev_hash !== prevHash) {
        fail(seq, "link");
        break outer;
      }
      if (digest("sha256", completeCanonical(row), "hex") !== row.hash) {
        fail(seq, "changed");
        break outer;
      }
      const head = headAt.get(seq);
      if (head) {
        if (head.hash !== row.hash) {
          fail(seq, "head");
          break outer;
        }
        part.goodHeads.push(head);
      }
      prevHash = row.hash;
      expected++;
      part.checked++;
    }
  }
  part.lastHash = prevHash;
  part.expected = expected;
  // Records missing at the end of a part that is followed by more (the last part ends at the last record).
  if (!part.problem && !part.abandoned && !earlierFailed() && expected < part.to) fail(expected, "missing");
}

/** Rows of a `COPY ... TO STDOUT` (text format) of CANONICAL_COLUMNS, a chunk's worth at a time. */
async function* copyRows(chunks: AsyncIterable<Buffer>): AsyncIterable<CanonicalRow[]> {
  const decoder = new StringDecoder("utf8");
  let rest = "";
  for await (const chunk of chunks) {
    const text = rest + decoder.write(chunk);
    const rows: CanonicalRow[] = [];
    let begin = 0;
    for (let end = text.indexOf("\n"); end !== -1; end = text.indexOf("\n", begin)) {
      const fields = text.slice(begin, end).split("\t");
      begin = end + 1;
      rows.push({
        seq: fields[0]!,
        prev_hash: fields[1]!,
        hash: fields[2]!,
        input: copyText(fields[3]!)!,
        v2: fields[4] === "t",
        verifications: copyText(fields[5]!),
        governance: copyText(fields[6]!),
      });
    }
    rest = text.slice(begin);
    yield rows;
  }
}

const COPY_ESCAPES: Record<string, string> = { b: "\b", f: "\f", n: "\n", r: "\r", t: "\t", v: "\v", "\\": "\\" };

/** A field of COPY's text format: `\N` is null, backslash escapes undone. */
function copyText(field: string): string | null {
  if (field === "\\N") return null;
  if (!field.includes("\\")) return field;
  return field.replace(/\\(.)/g, (_, c: string) => COPY_ESCAPES[c] ?? c);
}

/** Rows by seq range queries (PGlite, which has no COPY stream here), a few ranges read ahead. */
async function* rangeRows(session: SqlSession, from: number, to: number, rangeSize: number, readAhead: number): AsyncIterable<CanonicalRow[]> {
  const pending: Array<Promise<CanonicalRow[]>> = [];
  let next = from;
  const fill = () => {
    while (pending.length < readAhead && next < to) {
      const rows = session.query<CanonicalRow>(
        `SELECT ${CANONICAL_COLUMNS} FROM audit_record WHERE audit_record.seq >= $1 AND audit_record.seq < $2 ORDER BY audit_record.seq`,
        [next, Math.min(next + rangeSize, to)],
      );
      rows.catch(() => {}); // reported where it is awaited; a range read ahead of a bad record is never awaited
      pending.push(rows);
      next += rangeSize;
    }
  };
  fill();
  while (pending.length > 0) {
    const rows = await pending.shift()!;
    fill();
    yield rows;
  }
}

/** Where the kept chain starts once months were dropped: after the last dropped month, whose manifest is checked. */
async function archivedStart(session: SqlSession, keySet: ReturnType<typeof createLocalJWKSet>): Promise<Start | null> {
  const boundary = await archivedBoundary(session, keySet);
  return boundary ? { base: boundary.lastSeq, seq: boundary.lastSeq + 1, prevHash: boundary.lastHash, incremental: false } : null;
}

interface Checkpoint {
  seq: number;
  hash: string;
}

async function readCheckpoint(session: SqlSession, keySet: ReturnType<typeof createLocalJWKSet>): Promise<Checkpoint | null> {
  const [row] = await session.query<{ signed_head: string }>("SELECT signed_head FROM audit_verify_checkpoint WHERE id");
  if (!row) return null;
  const head = JSON.parse(row.signed_head) as SignedHead;
  if (!(await headVerifies(head, keySet))) throw new Error("the verification checkpoint's signed head does not verify: run verify --full");
  return { seq: Number(head.seq), hash: head.hash };
}

async function writeCheckpoint(session: SqlSession, head: SignedHead): Promise<void> {
  await session.query(
    `INSERT INTO audit_verify_checkpoint (id, seq, hash, signed_head, verified_at) VALUES (true, $1, $2, $3, now())
     ON CONFLICT (id) DO UPDATE SET seq = excluded.seq, hash = excluded.hash, signed_head = excluded.signed_head, verified_at = excluded.verified_at`,
    [head.seq, head.hash, JSON.stringify(head)],
  );
}

async function headVerifies(head: SignedHead, keySet: ReturnType<typeof createLocalJWKSet>): Promise<boolean> {
  try {
    const { payload } = await compactVerify(head.jws, keySet, { algorithms: SIGNATURE_ALGORITHMS });
    const signed = JSON.parse(new TextDecoder().decode(payload)) as Omit<SignedHead, "jws">;
    return signed.seq === head.seq && signed.hash === head.hash;
  } catch {
    return false;
  }
}

/** The signed heads at or after `fromSeq` (earlier ones cover records already verified or archived), each checked. */
async function readHeads(path: string, keySet: ReturnType<typeof createLocalJWKSet>, fromSeq: number): Promise<{ valid: SignedHead[]; problem: string | null }> {
  const valid: SignedHead[] = [];
  if (!existsSync(path)) return { valid, problem: null };
  let index = 0;
  for await (const line of createInterface({ input: createReadStream(path, "utf8"), crlfDelay: Infinity })) {
    index++;
    if (!line) continue;
    let head: SignedHead;
    try {
      head = JSON.parse(line) as SignedHead;
    } catch {
      return { valid, problem: `signed head on line ${index} of ${path} does not verify` };
    }
    if (Number(head.seq) < fromSeq) continue;
    if (!(await headVerifies(head, keySet))) return { valid, problem: `signed head on line ${index} of ${path} does not verify` };
    valid.push(head);
  }
  return { valid, problem: null };
}
