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
 * Either way the records are streamed, so memory stays constant whatever the
 * size of the log, and every hash is recomputed here. On a PostgreSQL server
 * each partition is a binary `COPY ... TO STDOUT` in storage order (no sort;
 * for an append-only table that is seq order), a few at a time, its records
 * laid out and hashed here (binaryCopyChainScan.ts); each part yields runs of
 * consecutive, linked records, and the runs are then put together in seq
 * order, so an edited, missing, duplicated or reordered record is found
 * whatever order the storage holds them in. On PGlite the database lays out
 * each hash input (canonicalAuditSql.ts) and records are read in seq ranges,
 * a few ahead.
 */
import { hash as digest } from "node:crypto";
import { createReadStream, existsSync } from "node:fs";
import { createInterface } from "node:readline";
import { compactVerify, createLocalJWKSet, type JSONWebKeySet } from "jose";
import type { SqlSession } from "../../platform/database/applyMigrations.ts";
import { GENESIS_HASH } from "./auditChain.ts";
import { BINARY_COPY_COLUMNS, scanBinaryCopy } from "./binaryCopyChainScan.ts";
import { PartScan, PROBLEM_RANK, type Problem } from "./chainPartScan.ts";
import { CHAIN_SCAN_WORKER_ENTRY, ChainScanThread, type PartResult } from "./chainScanThread.ts";
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
  /** Parts (partitions) whose storage order broke into more than `maxRuns` runs and were read again in seq order. */
  rereadInOrder: number;
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
  /** Parts (partitions) read at once, each its own COPY stream (PostgreSQL server). @default 2 */
  streams?: number;
  /** Runs a part may break into (storage out of seq order) before it is read again in seq order. @default 10_000 */
  maxRuns?: number;
  /**
   * Read, lay out and hash records in worker threads, one per stream, each
   * on a connection of its own (PostgreSQL server, `session.serverUrl`;
   * chainScanThread.ts). @default true for a full run, false for an
   * incremental one (a few records; the gateway's audit page runs those)
   */
  threads?: boolean;
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
    return { ok: false, records: 0, checked: 0, signedHeads: 0, firstBadSeq: null, problem: (error as Error).message, fromSeq: "1", incremental: false, rereadInOrder: 0 };
  }

  const heads = await readHeads(options.headsPath, keySet, start.seq);
  let rereadInOrder = 0;
  const result = (firstBadSeq: number | null, problem: string | null, checked: number): ChainVerification => ({
    ok: problem === null,
    records: start.seq - 1 - start.base + checked,
    checked,
    signedHeads: heads.valid.length,
    firstBadSeq: firstBadSeq === null ? null : String(firstBadSeq),
    problem,
    fromSeq: String(start.seq),
    incremental: start.incremental,
    rereadInOrder,
  });
  if (heads.problem) return result(null, heads.problem, 0);
  const headAt = new Map(heads.valid.map((h) => [Number(h.seq), h]));

  const [top] = await session.query<{ last: string | null }>("SELECT max(seq)::text AS last FROM audit_record");
  const lastSeq = top?.last == null ? 0 : Number(top.last);

  // Each part (on a PostgreSQL server, one per partition, read in storage order) is scanned on its own, a few at a time.
  const parts = lastSeq >= start.seq ? await partsOf(session, start.seq, lastSeq, headAt, { rangeSize, readAhead }) : [];
  const maxRuns = options.maxRuns ?? MAX_RUNS;
  // Full runs on a PostgreSQL server read, lay out and hash in worker threads, one per stream, each on a connection of its own.
  const serverUrl = session.serverUrl;
  const useThreads = (options.threads ?? (options.mode ?? "full") === "full") && session.copyOut !== undefined && serverUrl !== undefined && CHAIN_SCAN_WORKER_ENTRY !== null;
  const idle: ChainScanThread[] = [];
  const threads: ChainScanThread[] = [];
  const acquire = () => idle.pop() ?? threads[threads.push(new ChainScanThread(serverUrl!, headAt)) - 1]!;
  let scans: PartResult[];
  try {
    scans = await mapConcurrently(parts, Math.max(1, options.streams ?? 2), async (part) => {
      const thread = useThreads ? acquire() : null;
      try {
        const scan = await part.scan(false, maxRuns, thread);
        // Too fragmented to keep as runs (a heap rewritten out of seq order): read it again in seq order.
        if (!scan.fragmented) return scan;
        rereadInOrder++;
        return await part.scan(true, Infinity, thread);
      } finally {
        if (thread) idle.push(thread);
      }
    });
  } finally {
    await Promise.all(threads.map((thread) => thread.close()));
  }

  // Put the runs together in seq order: they must continue one another from the start to the last record.
  const runs = scans.flatMap((scan) => scan.runs).sort((a, b) => a.first - b.first);
  let firstProblem: Problem | null = null;
  const problem = (candidate: Problem | null) => {
    if (candidate && (!firstProblem || candidate.seq < firstProblem.seq || (candidate.seq === firstProblem.seq && PROBLEM_RANK[candidate.kind] < PROBLEM_RANK[firstProblem.kind]))) firstProblem = candidate;
  };
  for (const scan of scans) problem(scan.problem);
  let expected = start.seq;
  let prevHash = start.prevHash;
  let joined = true;
  for (const run of runs) {
    if (run.first < expected) problem({ seq: run.first, kind: "duplicate" });
    else if (run.first > expected) problem({ seq: expected, kind: "missing" });
    else if (run.firstPrevHash !== prevHash) problem({ seq: run.first, kind: "link" });
    else {
      prevHash = run.lastHash;
      expected = run.last + 1;
      continue;
    }
    joined = false;
    break;
  }
  // Records missing at the end (a head signed beyond them is reported below).
  if (joined && expected <= lastSeq) problem({ seq: expected, kind: "missing" });

  const goodHeads = scans.flatMap((scan) => scan.goodHeads).sort((a, b) => Number(a.seq) - Number(b.seq));
  const found = firstProblem as Problem | null;
  if (found) {
    const { seq, kind } = found;
    const checked = seq - start.seq;
    if (kind === "duplicate") return result(seq, `record ${seq} appears more than once (inserted?)`, checked);
    if (kind === "missing") return result(seq, `record ${seq} is missing (deleted?)`, checked);
    if (kind === "link") return result(seq, `record ${seq} does not follow record ${seq - 1} (prev_hash differs: moved, inserted or a predecessor deleted)`, checked);
    if (kind === "changed") return result(seq, `record ${seq} was changed after it was written`, checked);
    const lastGoodHead = goodHeads.filter((h) => Number(h.seq) < seq).reduce((_, h) => Number(h.seq), start.seq - 1);
    const head = headAt.get(seq)!;
    return result(lastGoodHead + 1, `records ${lastGoodHead + 1}..${seq} differ from the head signed at ${head.signedAt} (chain recomputed after an edit)`, checked);
  }
  const records = Math.max(0, lastSeq + 1 - start.seq);
  const beyond = heads.valid.find((h) => Number(h.seq) > lastSeq);
  if (beyond) return result(lastSeq + 1, `records from ${lastSeq + 1} on are missing: a head was signed at seq ${beyond.seq} (truncated?)`, records);
  const lastVerifiedHead = goodHeads.at(-1);
  if (lastVerifiedHead) await writeCheckpoint(session, lastVerifiedHead);
  return result(null, null, records);
}

/** Most runs kept for one part before it is read again in seq order. */
const MAX_RUNS = 10_000;

/** A stretch of the log read as one stream: a partition, or the whole table. */
interface Part {
  /** Checks its records (seq within the range checked), read in storage order, or in seq order when `ordered`; in `thread` when given. */
  scan(ordered: boolean, maxRuns: number, thread: ChainScanThread | null): Promise<PartResult>;
}

/**
 * The parts holding records from..to. On a PostgreSQL server each partition
 * is a part, streamed as a binary COPY in storage order (no sort: for an
 * append-only table that is seq order, and any other order still checks,
 * as runs); an unpartitioned table is one part. A partition wholly inside
 * the range is copied as a table, the cheapest COPY for the database (the
 * reader skips any record beyond the range, appended since); one that
 * starts before it (an incremental run) is copied through a query on seq,
 * which its index serves; one wholly before it is not read. On PGlite the
 * one part is read in seq ranges, a few ahead.
 */
async function partsOf(session: SqlSession, from: number, to: number, headAt: ReadonlyMap<number, SignedHead>, ranges: { rangeSize: number; readAhead: number }): Promise<Part[]> {
  const copyOut = session.copyOut;
  if (!copyOut) return [{ scan: (_ordered, maxRuns) => scanCanonicalRows(rangeRows(session, from, to + 1, ranges.rangeSize, ranges.readAhead), new PartScan(headAt, maxRuns)) }];
  const partitions = await session.query<{ name: string }>(
    "SELECT c.relname AS name FROM pg_inherits i JOIN pg_class c ON c.oid = i.inhrelid WHERE i.inhparent = 'audit_record'::regclass ORDER BY c.relname",
  );
  const tables = partitions.length > 0 ? partitions.map((p) => `"${p.name}"`) : ["audit_record"];
  const parts: Part[] = [];
  for (const table of tables) {
    const [bounds] = await session.query<{ first: string | null; last: string | null }>(`SELECT min(seq)::text AS first, max(seq)::text AS last FROM ONLY ${table}`);
    if (bounds?.first == null || Number(bounds.last) < from) continue;
    const whole = Number(bounds.first) >= from;
    parts.push({
      scan: async (ordered, maxRuns, thread) => {
        const sql =
          whole && !ordered
            ? `COPY ${table} (${BINARY_COPY_COLUMNS}) TO STDOUT (FORMAT binary)`
            : `COPY (SELECT ${BINARY_COPY_COLUMNS} FROM ONLY ${table} WHERE seq >= ${from} AND seq <= ${to}${ordered ? " ORDER BY seq" : ""}) TO STDOUT (FORMAT binary)`;
        if (thread) return thread.scan(sql, from, to, maxRuns);
        const scan = new PartScan(headAt, maxRuns);
        await scanBinaryCopy(copyOut(sql), scan, from, to);
        return scan;
      },
    });
  }
  return parts;
}

/** Checks rows whose hash input the database laid out (canonicalAuditSql.ts), hashing each here. */
async function scanCanonicalRows(batches: AsyncIterable<CanonicalRow[]>, scan: PartScan): Promise<PartResult> {
  let lastHash: string | null = null;
  for await (const rows of batches) {
    for (const row of rows) {
      const seq = Number(row.seq);
      if (scan.follows(seq)) scan.extend(seq, row.prev_hash === lastHash);
      else {
        if (lastHash !== null) scan.endRun(lastHash);
        if (!scan.startRun(seq, row.prev_hash)) return scan;
      }
      lastHash = row.hash;
      if (digest("sha256", completeCanonical(row), "hex") !== row.hash) scan.changed(seq);
      if (scan.hasHead(seq)) scan.checkHead(seq, row.hash);
    }
  }
  scan.finish(lastHash);
  return scan;
}

/** Runs `task` over `items`, at most `limit` at once, answers in the items' order. */
async function mapConcurrently<Item, Answer>(items: Item[], limit: number, task: (item: Item) => Promise<Answer>): Promise<Answer[]> {
  const answers: Answer[] = new Array(items.length);
  let next = 0;
  const worker = async () => {
    while (next < items.length) {
      const index = next++;
      answers[index] = await task(items[index]!);
    }
  };
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, worker));
  return answers;
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
