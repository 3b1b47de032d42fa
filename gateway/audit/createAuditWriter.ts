/**
 * Appends audit records with group commit: concurrent requests wait for one
 * batched INSERT instead of one transaction each. Records are plain rows, so
 * they go to the database as SQL on the driver (`pg`, or PGlite) with no ORM
 * on this path: one statement per group commit.
 *
 * That statement is a compare-and-set on the chain's head row
 * (`audit_chain_head`): it moves the head from the `seq` and hash this writer
 * expects to the batch's last and inserts the batch only if the head was
 * still there. The row lock it takes serializes writers, so several gateway
 * processes writing to one database still produce one unbroken chain in
 * `seq` order; a writer that lost the race reads the new head and retries.
 *
 * On a PostgreSQL server (`flushAfterCommit`) the append commits without
 * waiting for its WAL to reach the disk, which releases the head row at
 * once, and a separate flush (a transactional WAL message, committed
 * synchronously) waits for the disk before anyone is told their record is
 * committed. So the next group's append runs while the previous group's
 * flush does, and a disk flush costs each record once, not once per group
 * in a queue. Nothing is released before it is durable: WAL is replayed in
 * order, so a crash can only lose a tail of the chain whose writers were
 * never answered (and a flush that fails rejects them: the request fails
 * closed). A record alone (a group of one, no flush under way: a quiet
 * gateway) commits synchronously instead, in one round trip: there is no
 * next group to let through, and the flush would be a second trip.
 */
import type { SqlSession } from "../../platform/database/applyMigrations.ts";
import type { AuditEntry } from "./AuditEntry.ts";
import { chainHash } from "./auditChain.ts";

export interface AuditWriterOptions {
  /** The audit database's SQL session (a pool on PostgreSQL). */
  session: SqlSession;
  /** Most records in one commit. @default 1000 */
  maxBatch?: number;
  /**
   * Called once when an insert found no partition for its rows (a month not
   * yet created); the commit is then retried.
   */
  onMissingPartition?: () => Promise<void>;
  /**
   * Commit each group asynchronously and wait for a separate WAL flush before
   * answering (PostgreSQL server only; see above). @default false
   */
  flushAfterCommit?: boolean;
  /** Told of every group commit, done or failed (metrics). */
  onCommit?: (records: number, seconds: number, failed: boolean) => void;
}

/** Where a committed record sits in the chain. */
export interface CommittedRecord {
  seq: bigint;
  hash: string;
}

/** What the writer has done since it was created. */
export interface AuditWriterStats {
  /** Group commits (statements that extended the chain). */
  commits: number;
  records: number;
  /** Compare-and-set statements that found another writer's head and were retried. */
  retries: number;
  largestBatch: number;
  /** Records waiting for the next group commit now. */
  queued: number;
}

export interface AuditWriter {
  /**
   * Resolves once the record is committed, with its place in the chain.
   * @throws when it could not be (the caller must fail closed)
   */
  write(entry: AuditEntry): Promise<CommittedRecord>;
  /** Waits for every queued record. */
  drain(): Promise<void>;
  stats(): AuditWriterStats;
}

interface Pending {
  entry: AuditEntry;
  resolve(record: CommittedRecord): void;
  reject(error: unknown): void;
}

interface Head {
  seq: bigint;
  hash: string;
}

const RECORD_COLUMNS = `seq bigint, time timestamptz, request_id text, app text, token_id text, purpose text,
  operation_name text, operation_hash text, citizens text[], requested_fields text[], granted_fields text[],
  denied_fields text[], outcome text, data_released boolean, error_codes text[], subgraphs text[], latency_ms integer,
  client_address text, verifications jsonb, governance jsonb, prev_hash text, hash text`;

/**
 * The group commit: $1,$2 the head expected, $3,$4 the new head, $5 the
 * records as a JSON array. Answers how many records it inserted: all or none.
 * The citizens each record names go to `audit_record_citizen` (migration
 * 0008: a citizen's records newest first) in the same statement, from the
 * rows inserted: so with the same commit time, and none when the head had
 * moved (a data-modifying CTE runs to completion whether read or not).
 */
const APPEND = `WITH head AS (
  UPDATE audit_chain_head SET seq = $3, hash = $4, committed_at = greatest(clock_timestamp(), committed_at)
   WHERE id AND seq = $1 AND hash = $2
  RETURNING committed_at
), appended AS (
INSERT INTO audit_record (seq, time, request_id, app, token_id, purpose, operation_name, operation_hash, citizens,
  requested_fields, granted_fields, denied_fields, outcome, data_released, error_codes, subgraphs, latency_ms,
  client_address, verifications, governance, prev_hash, hash, committed_at)
SELECT r.seq, r.time, r.request_id, r.app, r.token_id, r.purpose, r.operation_name, r.operation_hash, r.citizens,
  r.requested_fields, r.granted_fields, r.denied_fields, r.outcome::"AuditOutcome", r.data_released, r.error_codes,
  r.subgraphs, r.latency_ms, r.client_address, r.verifications, r.governance, r.prev_hash, r.hash, head.committed_at
FROM head, json_to_recordset($5::json) AS r(${RECORD_COLUMNS})
RETURNING seq, citizens, committed_at
), cited AS (
INSERT INTO audit_record_citizen (citizen, seq, committed_at)
SELECT c.citizen, a.seq, a.committed_at
FROM appended AS a, LATERAL (SELECT DISTINCT u.citizen FROM unnest(a.citizens) AS u(citizen) WHERE u.citizen IS NOT NULL) AS c
)
SELECT count(*)::int AS inserted FROM appended`;

/** The same append, committed without waiting for the WAL flush (which FLUSH then waits for). */
const APPEND_ASYNC = APPEND.replace("WHERE id AND seq = $1", "WHERE id AND set_config('synchronous_commit', 'off', true) = 'off' AND seq = $1");

/**
 * Waits until the WAL up to now is on disk: a transactional WAL message makes
 * its transaction write WAL, so its commit flushes synchronously, covering
 * every commit before it.
 */
const FLUSH = "SELECT pg_logical_emit_message(true, 'audit-flush', '') IS NOT NULL AS flushed";

/** How many times a commit re-reads the head after losing it to another writer. */
const MAX_RETRIES = 50;

/** PostgreSQL: "no partition of relation found for row". */
const NO_PARTITION = "23514";

/** One record as a row of the JSON handed to `json_to_recordset`. */
function rowOf(entry: AuditEntry, seq: bigint, prevHash: string, hash: string): Record<string, unknown> {
  return {
    seq: seq.toString(),
    time: entry.time.toISOString(),
    request_id: entry.requestId,
    app: entry.app,
    token_id: entry.tokenId,
    purpose: entry.purpose,
    operation_name: entry.operationName,
    operation_hash: entry.operationHash,
    citizens: entry.citizens,
    requested_fields: entry.requestedFields,
    granted_fields: entry.grantedFields,
    denied_fields: entry.deniedFields,
    outcome: entry.outcome,
    data_released: entry.dataReleased,
    error_codes: entry.errorCodes,
    subgraphs: entry.subgraphs,
    latency_ms: entry.latencyMs,
    client_address: entry.clientAddress,
    // Stored as hashed: an empty list next to a governance action is part of the audit-v2 form.
    verifications: entry.verifications ?? null,
    governance: entry.governance ?? null,
    prev_hash: prevHash,
    hash,
  };
}

export async function readChainHead(session: SqlSession): Promise<Head> {
  const [row] = await session.query<{ seq: string | bigint | number; hash: string }>("SELECT seq, hash FROM audit_chain_head WHERE id");
  if (!row) throw new Error("audit_chain_head has no row: the audit database is not migrated");
  return { seq: BigInt(row.seq), hash: row.hash };
}

export function createAuditWriter(options: AuditWriterOptions): AuditWriter {
  const { session } = options;
  const maxBatch = options.maxBatch ?? 1000;
  const stats: Omit<AuditWriterStats, "queued"> = { commits: 0, records: 0, retries: 0, largestBatch: 0 };
  let queue: Pending[] = [];
  let running: Promise<void> | null = null;
  /** Flushes under way, and who waits for them all to finish (drain). */
  let flushing = 0;
  const flushed: Array<() => void> = [];
  /** The head this writer last saw; null until read (and after a failed commit). */
  let head: Head | null = null;

  /** @param synchronous commit waiting for the WAL flush (no separate flush then) */
  async function commit(batch: Pending[], synchronous: boolean): Promise<CommittedRecord[]> {
    let partitionsEnsured = false;
    for (let attempt = 0; ; attempt++) {
      head ??= await readChainHead(session);
      const expected = head;
      let seq = expected.seq;
      let prevHash = expected.hash;
      const committed: CommittedRecord[] = [];
      const rows = batch.map(({ entry }) => {
        seq += 1n;
        const hash = chainHash(prevHash, seq, entry);
        const row = rowOf(entry, seq, prevHash, hash);
        committed.push({ seq, hash });
        prevHash = hash;
        return row;
      });
      let inserted: number;
      try {
        inserted = await insert([expected.seq.toString(), expected.hash, seq.toString(), prevHash, JSON.stringify(rows)], synchronous);
      } catch (error) {
        head = null;
        if ((error as { code?: string }).code === NO_PARTITION && options.onMissingPartition && !partitionsEnsured) {
          partitionsEnsured = true;
          await options.onMissingPartition();
          continue;
        }
        throw error;
      }
      if (inserted === batch.length) {
        head = { seq, hash: prevHash };
        return committed;
      }
      // Another writer moved the head: read it and chain from there.
      head = null;
      stats.retries++;
      if (attempt >= MAX_RETRIES) throw new Error(`audit chain head kept moving: ${MAX_RETRIES} commits lost to other writers`);
    }
  }

  async function insert(params: unknown[], synchronous: boolean): Promise<number> {
    const rows = await session.query<{ inserted: number | string }>(
      synchronous ? APPEND : APPEND_ASYNC,
      params,
      synchronous ? "audit_append" : "audit_append_async",
    );
    return Number(rows[0]?.inserted ?? 0);
  }

  /** Resolves the batch once its commit is durable (after a flush when committed asynchronously). */
  function settle(batch: Pending[], committed: CommittedRecord[], started: number, synchronous: boolean): void {
    const done = () => {
      options.onCommit?.(batch.length, (performance.now() - started) / 1000, false);
      stats.commits++;
      stats.records += batch.length;
      if (batch.length > stats.largestBatch) stats.largestBatch = batch.length;
      for (let i = 0; i < batch.length; i++) batch[i]!.resolve(committed[i]!);
    };
    if (synchronous) return done();
    flushing++;
    session
      .query(FLUSH)
      .then(done, (error: unknown) => fail(batch, error, started))
      .finally(() => {
        flushing--;
        if (flushing === 0) for (const wake of flushed.splice(0)) wake();
      });
  }

  function fail(batch: Pending[], error: unknown, started: number): void {
    options.onCommit?.(batch.length, (performance.now() - started) / 1000, true);
    for (const pending of batch) pending.reject(error);
  }

  async function run(): Promise<void> {
    while (queue.length > 0) {
      const batch = queue.length <= maxBatch ? queue : queue.slice(0, maxBatch);
      queue = queue.length <= maxBatch ? [] : queue.slice(batch.length);
      const started = performance.now();
      // Alone, one synchronous round trip; otherwise the next group's append may run during this one's flush.
      const synchronous = !options.flushAfterCommit || (batch.length === 1 && flushing === 0);
      try {
        settle(batch, await commit(batch, synchronous), started, synchronous);
      } catch (error) {
        fail(batch, error, started);
      }
    }
    running = null;
  }

  return {
    write(entry) {
      return new Promise<CommittedRecord>((resolve, reject) => {
        queue.push({ entry, resolve, reject });
        // Records arriving while a commit runs wait for the next one: that is the group.
        running ??= new Promise<void>((next) => setImmediate(next)).then(run);
      });
    },
    async drain() {
      while (running || flushing > 0) {
        if (running) await running;
        else await new Promise<void>((resolve) => flushed.push(resolve));
      }
    },
    stats: () => ({ ...stats, queued: queue.length }),
  };
}
