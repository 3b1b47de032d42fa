/**
 * Monthly archives of the audit log, and retention.
 *
 * `archiveAuditMonth` writes one month (by `committed_at`, UTC) as gzipped
 * JSON lines, one record per line in `seq` order, beside a manifest signed
 * with the gateway's key: the month's first and last `seq` and hashes, the
 * first record's `prevHash` (the link to the previous month), the count and
 * the file's SHA-256. It then reads the file back, checks it, and records
 * the month in `audit_archive` as verified.
 *
 * `verifyAuditArchive` checks an archive offline with only the gateway's
 * public JWKS: the manifest's signature, the file's digest and count, every
 * record's hash and link, and the link to the previous month (its manifest,
 * beside this one; the first month links to the genesis hash).
 *
 * `applyAuditRetention` drops the partitions of months older than the
 * retention, oldest first, and only those archived, verified, and whose
 * archive still verifies and matches the partition.
 */
import { createHash } from "node:crypto";
import { createReadStream, createWriteStream, existsSync, mkdirSync, readFileSync, renameSync, writeFileSync } from "node:fs";
import { basename, dirname, join, resolve } from "node:path";
import { createInterface } from "node:readline";
import { pipeline } from "node:stream/promises";
import { PassThrough } from "node:stream";
import { createGunzip, createGzip } from "node:zlib";
import { CompactSign, compactVerify, createLocalJWKSet, type JSONWebKeySet } from "jose";
import type { SqlSession } from "../../platform/database/applyMigrations.ts";
import type { SigningKey } from "../../platform/security/keys.ts";
import type { AuditEntry, AuditOutcome } from "./AuditEntry.ts";
import { GENESIS_HASH, chainHash } from "./auditChain.ts";
import { citizenPartitionOf, isPartitioned, listAuditPartitions } from "./auditPartitions.ts";

type KeySet = ReturnType<typeof createLocalJWKSet>;

/** What the manifest's signature covers. */
export interface ArchiveManifest {
  type: "audit-archive";
  /** `YYYY-MM`, by commit time in UTC. */
  month: string;
  firstSeq: string;
  lastSeq: string;
  /** The first record's prevHash: the previous month's last hash (the genesis hash for the first month). */
  firstPrevHash: string;
  firstHash: string;
  lastHash: string;
  count: number;
  /** The archive file's name (beside the manifest) and SHA-256. */
  file: string;
  sha256: string;
  createdAt: string;
}

/** The manifest file: the manifest and its JWS (`<archive>.manifest.json`). */
export interface ManifestFile extends ArchiveManifest {
  jws: string;
}

export interface ArchiveVerification {
  ok: boolean;
  month: string | null;
  records: number;
  firstSeq: string | null;
  lastSeq: string | null;
  /** The record found bad, if any. */
  firstBadSeq: string | null;
  problem: string | null;
}

const MONTH = /^(\d{4})-(0[1-9]|1[0-2])$/;
const ALGORITHMS = ["ES256", "EdDSA", "RS256"];

export const archiveFileName = (month: string) => `audit-${month}.jsonl.gz`;
export const manifestPathOf = (archivePath: string) => `${archivePath}.manifest.json`;

function monthBounds(month: string): { start: Date; end: Date } {
  const match = MONTH.exec(month);
  if (!match) throw new Error(`--month must be YYYY-MM, got ${JSON.stringify(month)}`);
  const start = new Date(Date.UTC(Number(match[1]), Number(match[2]) - 1, 1));
  const end = new Date(Date.UTC(Number(match[1]), Number(match[2]), 1));
  return { start, end };
}

function previousMonth(month: string): string {
  const { start } = monthBounds(month);
  const previous = new Date(Date.UTC(start.getUTCFullYear(), start.getUTCMonth() - 1, 1));
  return previous.toISOString().slice(0, 7);
}

/** A stored row (as any driver returns it) as the archived line. */
function archivedRecord(row: Record<string, any>): Record<string, unknown> {
  const iso = (value: unknown) => (value instanceof Date ? value.toISOString() : new Date(String(value)).toISOString());
  return {
    seq: String(row.seq),
    time: iso(row.time),
    requestId: row.request_id,
    app: row.app,
    tokenId: row.token_id,
    purpose: row.purpose,
    operationName: row.operation_name,
    operationHash: row.operation_hash,
    citizens: row.citizens,
    requestedFields: row.requested_fields,
    grantedFields: row.granted_fields,
    deniedFields: row.denied_fields,
    outcome: row.outcome,
    dataReleased: row.data_released,
    errorCodes: row.error_codes,
    subgraphs: row.subgraphs,
    latencyMs: row.latency_ms,
    clientAddress: row.client_address,
    verifications: typeof row.verifications === "string" ? JSON.parse(row.verifications) : (row.verifications ?? null),
    governance: typeof row.governance === "string" ? JSON.parse(row.governance) : (row.governance ?? null),
    prevHash: row.prev_hash,
    hash: row.hash,
    committedAt: iso(row.committed_at),
  };
}

function entryOf(line: Record<string, any>): AuditEntry {
  return {
    time: new Date(line.time),
    requestId: line.requestId,
    app: line.app,
    tokenId: line.tokenId,
    purpose: line.purpose,
    operationName: line.operationName,
    operationHash: line.operationHash,
    citizens: line.citizens,
    requestedFields: line.requestedFields,
    grantedFields: line.grantedFields,
    deniedFields: line.deniedFields,
    outcome: line.outcome as AuditOutcome,
    dataReleased: line.dataReleased,
    errorCodes: line.errorCodes,
    subgraphs: line.subgraphs,
    latencyMs: line.latencyMs,
    clientAddress: line.clientAddress,
    verifications: line.verifications,
    governance: line.governance,
  };
}

async function signManifest(manifest: ArchiveManifest, key: SigningKey): Promise<string> {
  return new CompactSign(new TextEncoder().encode(JSON.stringify(manifest)))
    .setProtectedHeader({ alg: key.alg, kid: key.kid, typ: "audit-archive+jws" })
    .sign(key.key);
}

/** The manifest a JWS signs, or null if it does not verify. */
async function signedManifest(jws: string, keySet: KeySet): Promise<ArchiveManifest | null> {
  try {
    const { payload, protectedHeader } = await compactVerify(jws, keySet, { algorithms: ALGORITHMS });
    if (protectedHeader.typ !== "audit-archive+jws") return null;
    return JSON.parse(new TextDecoder().decode(payload)) as ArchiveManifest;
  } catch {
    return null;
  }
}

export interface ArchiveOptions {
  session: SqlSession;
  month: string;
  /** Folder the archive and its manifest are written to. */
  dir: string;
  key: SigningKey;
  gatewayJwks: JSONWebKeySet;
  /** Records per read. @default 5000 */
  rangeSize?: number;
  now?: Date;
}

export interface ArchiveResult {
  file: string;
  manifestFile: string;
  manifest: ArchiveManifest;
}

/** Archives one finished month. @throws when the month is not finished, empty, not one unbroken stretch, or its file does not verify */
export async function archiveAuditMonth(options: ArchiveOptions): Promise<ArchiveResult> {
  const { session, month } = options;
  const { start, end } = monthBounds(month);
  if (end > (options.now ?? new Date())) throw new Error(`month ${month} is not over yet`);
  const [range] = await session.query<{ first: string | null; last: string | null; count: string }>(
    `SELECT min(seq)::text AS first, max(seq)::text AS last, count(*)::text AS count FROM audit_record WHERE committed_at >= $1 AND committed_at < $2`,
    [start, end],
  );
  if (!range || range.first === null) throw new Error(`no audit records were committed in ${month}`);
  const firstSeq = BigInt(range.first);
  const lastSeq = BigInt(range.last!);
  if (lastSeq - firstSeq + 1n !== BigInt(range.count)) throw new Error(`the records of ${month} are not one unbroken stretch of the chain (seq ${firstSeq}..${lastSeq}, ${range.count} records): run verify --full`);
  const [outside] = await session.query<{ n: string }>(
    `SELECT count(*)::text AS n FROM audit_record WHERE seq BETWEEN $1 AND $2 AND NOT (committed_at >= $3 AND committed_at < $4)`,
    [range.first, range.last, start, end],
  );
  if (Number(outside?.n ?? 0) > 0) throw new Error(`records of ${month} are interleaved with other months: run verify --full`);

  const dir = resolve(options.dir);
  mkdirSync(dir, { recursive: true });
  const file = join(dir, archiveFileName(month));
  const partial = `${file}.partial`;
  const digest = createHash("sha256");
  const lines = new PassThrough();
  const gzip = createGzip({ level: 4 });
  const written = pipeline(lines, gzip, async function* (source) {
    for await (const chunk of source) {
      digest.update(chunk as Buffer);
      yield chunk;
    }
  }, createWriteStream(partial));
  let firstPrevHash = "";
  let firstHash = "";
  let lastHash = "";
  let count = 0;
  const rangeSize = BigInt(options.rangeSize ?? 10_000);
  const readRange = (from: bigint) => {
    const to = from + rangeSize - 1n < lastSeq ? from + rangeSize - 1n : lastSeq;
    const rows = session.query<Record<string, any>>(
      `SELECT * FROM audit_record WHERE seq BETWEEN $1 AND $2 AND committed_at >= $3 AND committed_at < $4 ORDER BY seq`,
      [from.toString(), to.toString(), start, end],
    );
    rows.catch(() => {}); // reported where it is awaited
    return rows;
  };
  try {
    // One range is read ahead while the previous one is written.
    let next: Promise<Record<string, any>[]> | null = readRange(firstSeq);
    for (let from = firstSeq; next; from += rangeSize) {
      const rows: Record<string, any>[] = await next;
      next = from + rangeSize <= lastSeq ? readRange(from + rangeSize) : null;
      let text = "";
      for (const row of rows) {
        const record = archivedRecord(row);
        if (count === 0) {
          firstPrevHash = record.prevHash as string;
          firstHash = record.hash as string;
        }
        lastHash = record.hash as string;
        count++;
        text += `${JSON.stringify(record)}\n`;
      }
      if (!lines.write(text)) await new Promise((next) => lines.once("drain", next));
    }
    lines.end();
    await written;
  } catch (error) {
    lines.destroy();
    throw error;
  }
  renameSync(partial, file);
  const manifest: ArchiveManifest = {
    type: "audit-archive",
    month,
    firstSeq: firstSeq.toString(),
    lastSeq: lastSeq.toString(),
    firstPrevHash,
    firstHash,
    lastHash,
    count,
    file: basename(file),
    sha256: digest.digest("hex"),
    createdAt: new Date().toISOString(),
  };
  const jws = await signManifest(manifest, options.key);
  const manifestFile = manifestPathOf(file);
  writeFileSync(manifestFile, `${JSON.stringify({ ...manifest, jws } satisfies ManifestFile, null, 2)}\n`);

  // Read it back before the month counts as archived.
  const check = await verifyAuditArchive(file, options.gatewayJwks, { requirePrevious: false });
  if (!check.ok) throw new Error(`the archive just written does not verify: ${check.problem}`);
  await session.query(
    `INSERT INTO audit_archive (month, first_seq, last_seq, first_prev_hash, last_hash, count, file, sha256, manifest_jws, archived_at, verified_at)
     VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, now(), now())
     ON CONFLICT (month) DO UPDATE SET first_seq = excluded.first_seq, last_seq = excluded.last_seq, first_prev_hash = excluded.first_prev_hash,
       last_hash = excluded.last_hash, count = excluded.count, file = excluded.file, sha256 = excluded.sha256, manifest_jws = excluded.manifest_jws,
       archived_at = excluded.archived_at, verified_at = excluded.verified_at
     WHERE audit_archive.dropped_at IS NULL`,
    [month, manifest.firstSeq, manifest.lastSeq, firstPrevHash, lastHash, count, file, manifest.sha256, jws],
  );
  return { file, manifestFile, manifest };
}

/**
 * Checks an archive offline. `requirePrevious` (default true): a month that
 * does not start the chain must find the previous month's manifest beside
 * it, signed, ending right before it with the hash it links to.
 */
export async function verifyAuditArchive(
  archivePath: string,
  gatewayJwks: JSONWebKeySet,
  options: { requirePrevious?: boolean } = {},
): Promise<ArchiveVerification> {
  const keySet = createLocalJWKSet(gatewayJwks);
  const fail = (problem: string, manifest?: ArchiveManifest | null, records = 0, firstBadSeq: string | null = null): ArchiveVerification => ({
    ok: false,
    month: manifest?.month ?? null,
    records,
    firstSeq: manifest?.firstSeq ?? null,
    lastSeq: manifest?.lastSeq ?? null,
    firstBadSeq,
    problem,
  });
  const manifestFile = manifestPathOf(archivePath);
  if (!existsSync(archivePath)) return fail(`${archivePath} not found`);
  if (!existsSync(manifestFile)) return fail(`its manifest ${manifestFile} not found`);
  let stored: ManifestFile;
  try {
    stored = JSON.parse(readFileSync(manifestFile, "utf8")) as ManifestFile;
  } catch {
    return fail(`${manifestFile} is not JSON`);
  }
  const manifest = await signedManifest(stored.jws, keySet);
  if (!manifest) return fail(`the manifest's signature does not verify with the gateway's keys`);
  // What counts is what was signed; a manifest file edited beside its JWS is refused.
  for (const key of Object.keys(manifest) as Array<keyof ArchiveManifest>) {
    if (JSON.stringify(stored[key]) !== JSON.stringify(manifest[key])) return fail(`the manifest's ${key} differs from what its signature covers`, manifest);
  }
  if (basename(archivePath) !== manifest.file) return fail(`the manifest is for ${manifest.file}, not ${basename(archivePath)}`, manifest);

  const digest = createHash("sha256");
  const raw = createReadStream(archivePath);
  raw.on("data", (chunk) => digest.update(chunk as Buffer));
  const gunzip = createGunzip();
  raw.pipe(gunzip);
  let expected = BigInt(manifest.firstSeq);
  let prevHash = manifest.firstPrevHash;
  let records = 0;
  let firstHash: string | null = null;
  try {
    for await (const text of createInterface({ input: gunzip, crlfDelay: Infinity })) {
      if (!text) continue;
      const line = JSON.parse(text) as Record<string, any>;
      const seq = BigInt(line.seq);
      if (seq !== expected) return fail(`record ${expected} is missing from the archive (found ${seq})`, manifest, records, expected.toString());
      if (line.prevHash !== prevHash) return fail(`record ${seq} does not follow record ${seq - 1n}`, manifest, records, seq.toString());
      if (chainHash(prevHash, seq, entryOf(line)) !== line.hash) return fail(`record ${seq} was changed after it was written`, manifest, records, seq.toString());
      firstHash ??= line.hash;
      prevHash = line.hash;
      expected++;
      records++;
    }
  } catch (error) {
    return fail(`the archive cannot be read: ${(error as Error).message}`, manifest, records);
  }
  if (digest.digest("hex") !== manifest.sha256) return fail(`the archive's SHA-256 differs from the manifest's`, manifest, records);
  if (records !== manifest.count) return fail(`the archive holds ${records} records, the manifest says ${manifest.count}`, manifest, records);
  if (expected - 1n !== BigInt(manifest.lastSeq) || prevHash !== manifest.lastHash || firstHash !== manifest.firstHash) {
    return fail(`the archive's first or last record differs from the manifest`, manifest, records);
  }

  // The link to the previous month.
  if (manifest.firstSeq === "1") {
    if (manifest.firstPrevHash !== GENESIS_HASH) return fail(`record 1 does not link to the genesis hash`, manifest, records, "1");
  } else if (options.requirePrevious !== false) {
    const previousFile = join(dirname(archivePath), archiveFileName(previousMonth(manifest.month)));
    const previousManifestFile = manifestPathOf(previousFile);
    if (!existsSync(previousManifestFile)) {
      return fail(`the previous month's manifest ${basename(previousManifestFile)} is not beside this archive: its link cannot be checked`, manifest, records);
    }
    const previous = await signedManifest((JSON.parse(readFileSync(previousManifestFile, "utf8")) as ManifestFile).jws, keySet);
    if (!previous) return fail(`the previous month's manifest does not verify`, manifest, records);
    if (BigInt(previous.lastSeq) + 1n !== BigInt(manifest.firstSeq) || previous.lastHash !== manifest.firstPrevHash) {
      return fail(`this month does not continue ${previous.month} (its last record ${previous.lastSeq} ends with another hash or seq)`, manifest, records, manifest.firstSeq);
    }
  }
  return { ok: true, month: manifest.month, records, firstSeq: manifest.firstSeq, lastSeq: manifest.lastSeq, firstBadSeq: null, problem: null };
}

/** The end of the dropped months (each manifest checked, contiguous from record 1), or null when none was dropped. */
export async function archivedBoundary(session: SqlSession, keySet: KeySet): Promise<{ lastSeq: number; lastHash: string } | null> {
  const rows = await session.query<{ month: string; manifest_jws: string }>(
    "SELECT month, manifest_jws FROM audit_archive WHERE dropped_at IS NOT NULL ORDER BY month",
  );
  let boundary: { lastSeq: number; lastHash: string } | null = null;
  for (const row of rows) {
    const manifest = await signedManifest(row.manifest_jws, keySet);
    if (!manifest || manifest.month !== row.month) throw new Error(`the archive manifest of dropped month ${row.month} does not verify`);
    const expectedFirst = boundary ? boundary.lastSeq + 1 : 1;
    if (Number(manifest.firstSeq) !== expectedFirst || manifest.firstPrevHash !== (boundary?.lastHash ?? GENESIS_HASH)) {
      throw new Error(`dropped month ${row.month} does not continue the months dropped before it (records ${expectedFirst}.. are missing)`);
    }
    boundary = { lastSeq: Number(manifest.lastSeq), lastHash: manifest.lastHash };
  }
  return boundary;
}

export interface RetentionResult {
  dropped: string[];
  /** Months past retention that were kept, and why. */
  kept: Array<{ month: string; reason: string }>;
}

/**
 * Drops the partitions of months before the last `retentionMonths` (the
 * current month counts as one), oldest first; stops at the first month that
 * is not archived and verified, so the kept chain stays unbroken.
 */
export async function applyAuditRetention(options: {
  session: SqlSession;
  retentionMonths: number;
  gatewayJwks: JSONWebKeySet;
  now?: Date;
}): Promise<RetentionResult> {
  const { session } = options;
  const result: RetentionResult = { dropped: [], kept: [] };
  if (!(await isPartitioned(session))) return result;
  const now = options.now ?? new Date();
  const oldestKept = new Date(Date.UTC(now.getUTCFullYear(), now.getUTCMonth() - (options.retentionMonths - 1), 1)).toISOString().slice(0, 7);
  for (const partition of await listAuditPartitions(session)) {
    if (partition.month >= oldestKept) break;
    const [stats] = await session.query<{ count: string; first: string | null; last: string | null }>(
      `SELECT count(*)::text AS count, min(seq)::text AS first, max(seq)::text AS last FROM "${partition.table}"`,
    );
    const count = Number(stats?.count ?? 0);
    const [archive] = await session.query<{ file: string; count: string; first_seq: string; last_seq: string; verified_at: Date | null }>(
      "SELECT file, count::text AS count, first_seq::text AS first_seq, last_seq::text AS last_seq, verified_at FROM audit_archive WHERE month = $1",
      [partition.month],
    );
    if (count > 0) {
      if (!archive || !archive.verified_at) {
        result.kept.push({ month: partition.month, reason: "not archived and verified" });
        break;
      }
      if (Number(archive.count) !== count || archive.first_seq !== stats!.first || archive.last_seq !== stats!.last) {
        result.kept.push({ month: partition.month, reason: "the partition differs from its archive (records added or removed since): archive it again" });
        break;
      }
      const check = await verifyAuditArchive(archive.file, options.gatewayJwks, { requirePrevious: false });
      if (!check.ok) {
        result.kept.push({ month: partition.month, reason: `its archive no longer verifies: ${check.problem}` });
        break;
      }
    }
    // The month's citizens' rows (audit_record_citizen, derived from its records like an index) go with it, in the same transaction.
    const citizens = citizenPartitionOf(partition);
    await session.exec(
      `BEGIN; ALTER TABLE audit_record DETACH PARTITION "${partition.table}"; DROP TABLE "${partition.table}";` +
        ` DO $$ BEGIN IF to_regclass('${citizens}') IS NOT NULL THEN ALTER TABLE audit_record_citizen DETACH PARTITION "${citizens}"; DROP TABLE "${citizens}"; END IF; END $$; COMMIT;`,
    );
    if (archive) await session.query("UPDATE audit_archive SET dropped_at = now() WHERE month = $1", [partition.month]);
    result.dropped.push(partition.month);
  }
  return result;
}
