/**
 * Synthetic audit records with a valid hash chain, for the audit bench and
 * the partition tests: generated in bulk (not through HTTP) and written with
 * COPY (PostgreSQL) or multi-row INSERTs (any SqlSession), spread over a time
 * span so that they fill monthly partitions. Deterministic for a given seed.
 *
 * Shapes: 20 apps (a few busy, many quiet), a million citizens (citizen 0
 * is in 0.1% of all records, for deep pages), a handful of operation shapes
 * (one rare: 0.05%), 1% batch reads of 50 citizens, 2% verification uses
 * (audit-v2 records).
 */
import { createHash } from "node:crypto";
import type pg from "pg";
import { from as copyFrom } from "pg-copy-streams";
import type { SqlSession } from "../../platform/database/applyMigrations.ts";
import type { AuditEntry, AuditOutcome } from "../../gateway/audit/AuditEntry.ts";
import { GENESIS_HASH, chainHash } from "../../gateway/audit/auditChain.ts";
import { residentIdCheckCharacter } from "../../platform/standard/residentId.ts";

export interface SyntheticRecord extends AuditEntry {
  seq: bigint;
  prevHash: string;
  hash: string;
  committedAt: Date;
}

export interface SyntheticOptions {
  count: number;
  /** Request times run evenly from `from` to `to`. */
  from: Date;
  to: Date;
  /** The chain to continue. @default record 1 after the genesis hash */
  after?: { seq: bigint; hash: string };
  seed?: number;
  /**
   * How a citizen index becomes the stored pseudonym. @default
   * `syntheticCitizen` (a plain hash); the audit bench passes the gateway's
   * pseudonymizer over `syntheticResidentId`, so that its HTTP reads can ask
   * for a citizen by resident id.
   */
  citizen?: (index: number) => string;
}

export const SYNTHETIC_APPS = Array.from({ length: 20 }, (_, i) => `app:bench-${String(i).padStart(2, "0")}`);
/** A field only the rare operation shape asks for. */
export const RARE_FIELD = "RealEstateRegistration.mortgageHistory";
export const COMMON_FIELD = "Citizen.name";

const SHAPES: Array<{ weight: number; fields: string[]; batch?: boolean; verification?: boolean }> = [
  { weight: 40, fields: ["Query.citizen", "Citizen.name", "Citizen.housingFundAccount", "HousingFundAccount.balance", "HousingFundAccount.status"] },
  { weight: 20, fields: ["Query.citizen", "Citizen.name", "Citizen.maritalStatus", "Citizen.spouse"] },
  { weight: 15, fields: ["Query.citizen", "Citizen.name", "Citizen.properties", "Property.address", "Property.area"] },
  { weight: 10, fields: ["Query.citizen", "Citizen.taxpayerProfile", "TaxpayerProfile.annualIncome"] },
  { weight: 8, fields: ["Query.citizen", "Citizen.creditRecord", "CreditRecord.level"] },
  { weight: 4, fields: ["Query.citizen", "Citizen.name", "Citizen.housingFundAccount", "Citizen.taxpayerProfile", "Citizen.properties", "Citizen.creditRecord"] },
  { weight: 1, fields: ["Query.citizens", "Citizen.name", "Citizen.housingFundAccount", "HousingFundAccount.balance"], batch: true },
  { weight: 2, fields: ["Query.citizen", "Citizen.taxpayerProfile", "TaxpayerProfile.incomeAtLeast"], verification: true },
  { weight: 0.05, fields: ["Query.citizen", "Citizen.realEstateRegistration", RARE_FIELD] },
];
const SHAPE_TOTAL = SHAPES.reduce((sum, shape) => sum + shape.weight, 0);
const APP_WEIGHTS = SYNTHETIC_APPS.map((_, i) => 1 / (i + 1));
const APP_TOTAL = APP_WEIGHTS.reduce((a, b) => a + b, 0);
const PURPOSES = ["HPF_WITHDRAWAL_HOME_PURCHASE", "HOUSING_LOAN_REVIEW", "SOCIAL_ASSISTANCE", "TAX_RELIEF", "CREDIT_REVIEW"];
const POPULATION = 1_000_000;

/** The pseudonym of synthetic citizen `index` (64 hex digits, like an HMAC). */
export function syntheticCitizen(index: number): string {
  return createHash("sha256").update(`synthetic-citizen-${index}`).digest("hex");
}

/**
 * Synthetic citizen `index` as a valid resident id (area 330106, a birth date
 * from 1950 on, the sequence from the index): unique for indexes below
 * 20 million.
 */
export function syntheticResidentId(index: number): string {
  const birth = new Date(Date.UTC(1950, 0, 1) + (index % 20_000) * 86_400_000);
  const date = `${birth.getUTCFullYear()}${String(birth.getUTCMonth() + 1).padStart(2, "0")}${String(birth.getUTCDate()).padStart(2, "0")}`;
  const first17 = `330106${date}${String(Math.floor(index / 20_000) % 1000).padStart(3, "0")}`;
  return first17 + residentIdCheckCharacter(first17);
}

/** The index of the busy citizen (in 0.1% of all records) and of a typical one. */
export const BUSY_CITIZEN = 0;
export const TYPICAL_CITIZEN = 123_456;

/** A small fast deterministic generator (mulberry32). */
function random(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

function pick<T>(items: T[], weights: number[], total: number, r: number): T {
  let x = r * total;
  for (let i = 0; i < items.length; i++) {
    x -= weights[i]!;
    if (x < 0) return items[i]!;
  }
  return items[items.length - 1]!;
}

export function* syntheticAuditRecords(options: SyntheticOptions): Generator<SyntheticRecord> {
  const rand = random(options.seed ?? 1);
  const span = options.to.getTime() - options.from.getTime();
  let seq = options.after?.seq ?? 0n;
  let prevHash = options.after?.hash ?? GENESIS_HASH;
  let committed = 0;
  const shapeWeights = SHAPES.map((shape) => shape.weight);
  const citizenOf = options.citizen ?? syntheticCitizen;
  for (let i = 0; i < options.count; i++) {
    seq += 1n;
    const time = Math.floor(options.from.getTime() + (span * i) / options.count);
    const shape = pick(SHAPES, shapeWeights, SHAPE_TOTAL, rand());
    const appIndex = SYNTHETIC_APPS.indexOf(pick(SYNTHETIC_APPS, APP_WEIGHTS, APP_TOTAL, rand()));
    const citizenCount = shape.batch ? 50 : 1;
    const citizens: string[] = [];
    for (let c = 0; c < citizenCount; c++) citizens.push(citizenOf(rand() < 0.001 ? BUSY_CITIZEN : 1 + Math.floor(rand() * (POPULATION - 1))));
    citizens.sort();
    const o = rand();
    const outcome: AuditOutcome = o < 0.9 ? "ALLOWED" : o < 0.95 ? "PARTIAL" : o < 0.98 ? "DENIED" : o < 0.995 ? "FAILED" : "UNAUTHENTICATED";
    const denied = outcome === "PARTIAL" ? [shape.fields.at(-1)!] : outcome === "DENIED" ? shape.fields.slice(1) : [];
    const requested = outcome === "UNAUTHENTICATED" ? [] : [...shape.fields].sort();
    const entry: AuditEntry = {
      time: new Date(time),
      requestId: `00000000-0000-4000-8000-${seq.toString(16).padStart(12, "0")}`,
      app: outcome === "UNAUTHENTICATED" ? null : SYNTHETIC_APPS[appIndex]!,
      tokenId: outcome === "UNAUTHENTICATED" ? null : `tok-${appIndex}-${Math.floor(time / 600_000)}`,
      purpose: outcome === "UNAUTHENTICATED" ? null : PURPOSES[appIndex % PURPOSES.length]!,
      operationName: outcome === "UNAUTHENTICATED" ? null : `Op${SHAPES.indexOf(shape)}`,
      operationHash: outcome === "UNAUTHENTICATED" ? null : createHash("sha256").update(shape.fields.join()).digest("hex"),
      citizens: outcome === "UNAUTHENTICATED" ? [] : citizens,
      requestedFields: requested,
      grantedFields: requested.filter((field) => !denied.includes(field)),
      deniedFields: [...denied].sort(),
      outcome,
      dataReleased: outcome === "ALLOWED" || outcome === "PARTIAL",
      errorCodes: outcome === "ALLOWED" ? [] : outcome === "PARTIAL" || outcome === "DENIED" ? ["FORBIDDEN"] : outcome === "FAILED" ? ["BAD_USER_INPUT"] : ["UNAUTHENTICATED"],
      subgraphs: outcome === "UNAUTHENTICATED" ? [] : ["civil-affairs"],
      latencyMs: 5 + Math.floor(rand() * 200),
      clientAddress: `10.20.${appIndex}.${1 + Math.floor(rand() * 250)}`,
      ...(shape.verification && outcome === "ALLOWED"
        ? { verifications: [{ coordinate: "TaxpayerProfile.incomeAtLeast", citizen: citizens[0]!, arguments: { amount: "120000.00" } }] }
        : {}),
    };
    // Committed a little after the request, never before the previous group.
    committed = Math.max(committed, time + 3);
    const hash = chainHash(prevHash, seq, entry);
    yield { ...entry, seq, prevHash, hash, committedAt: new Date(committed) };
    prevHash = hash;
  }
}

/** Creates the monthly partitions the span needs (no-op on PGlite). */
export async function ensureSyntheticPartitions(session: SqlSession, from: Date, to: Date): Promise<void> {
  const month = new Date(Date.UTC(from.getUTCFullYear(), from.getUTCMonth(), 1));
  while (month <= to) {
    await session.query("SELECT audit_ensure_partition($1)", [month.toISOString()]);
    month.setUTCMonth(month.getUTCMonth() + 1);
  }
  await session.query("SELECT audit_ensure_partition($1)", [new Date(to.getTime() + 3_600_000).toISOString()]);
}

/** Moves the chain head to the last record written, as the writer would have. */
export async function setChainHead(session: SqlSession, last: { seq: bigint; hash: string; committedAt: Date }): Promise<void> {
  await session.query("UPDATE audit_chain_head SET seq = $1, hash = $2, committed_at = $3 WHERE id", [last.seq.toString(), last.hash, last.committedAt.toISOString()]);
}

const COLUMNS = `seq, time, request_id, app, token_id, purpose, operation_name, operation_hash, citizens, requested_fields, granted_fields,
  denied_fields, outcome, data_released, error_codes, subgraphs, latency_ms, client_address, verifications, governance, prev_hash, hash, committed_at`;

/**
 * The citizens each record names, as rows of audit_record_citizen (migration
 * 0008), as the writer adds them: from `records`, a relation of inserted
 * records (seq, citizens, committed_at).
 */
const CITIZEN_ROWS_OF = (records: string) => `INSERT INTO audit_record_citizen (citizen, seq, committed_at)
  SELECT c.citizen, r.seq, r.committed_at
  FROM ${records} AS r, LATERAL (SELECT DISTINCT u.citizen FROM unnest(r.citizens) AS u(citizen) WHERE u.citizen IS NOT NULL) AS c`;

/** Writes records with multi-row INSERTs (any SqlSession: PGlite too), their citizens' rows in the same statement. @returns the last record */
export async function insertSyntheticRecords(session: SqlSession, records: Iterable<SyntheticRecord>, batch = 2000): Promise<SyntheticRecord | null> {
  let rows: unknown[] = [];
  let last: SyntheticRecord | null = null;
  const flush = async () => {
    if (rows.length === 0) return;
    await session.query(
      `WITH appended AS (INSERT INTO audit_record (${COLUMNS})
       SELECT seq, time, request_id, app, token_id, purpose, operation_name, operation_hash, citizens, requested_fields, granted_fields,
         denied_fields, outcome::"AuditOutcome", data_released, error_codes, subgraphs, latency_ms, client_address, verifications, governance, prev_hash, hash, committed_at
       FROM json_to_recordset($1::json) AS r(seq bigint, time timestamptz, request_id text, app text, token_id text, purpose text, operation_name text,
         operation_hash text, citizens text[], requested_fields text[], granted_fields text[], denied_fields text[], outcome text, data_released boolean,
         error_codes text[], subgraphs text[], latency_ms integer, client_address text, verifications jsonb, governance jsonb, prev_hash text, hash text, committed_at timestamptz)
       RETURNING seq, citizens, committed_at)
       ${CITIZEN_ROWS_OF("appended")}`,
      [JSON.stringify(rows)],
    );
    rows = [];
  };
  for (const r of records) {
    rows.push({
      seq: r.seq.toString(), time: r.time.toISOString(), request_id: r.requestId, app: r.app, token_id: r.tokenId, purpose: r.purpose,
      operation_name: r.operationName, operation_hash: r.operationHash, citizens: r.citizens, requested_fields: r.requestedFields,
      granted_fields: r.grantedFields, denied_fields: r.deniedFields, outcome: r.outcome, data_released: r.dataReleased, error_codes: r.errorCodes,
      subgraphs: r.subgraphs, latency_ms: r.latencyMs, client_address: r.clientAddress, verifications: r.verifications ?? null,
      governance: r.governance ?? null, prev_hash: r.prevHash, hash: r.hash, committed_at: r.committedAt.toISOString(),
    });
    last = r;
    if (rows.length >= batch) await flush();
  }
  await flush();
  return last;
}

const copyText = (value: string) => value.replace(/\\/g, "\\\\").replace(/\t/g, "\\t").replace(/\n/g, "\\n").replace(/\r/g, "\\r");
const copyArray = (values: string[]) => `{${values.map((v) => `"${v.replace(/\\/g, "\\\\").replace(/"/g, '\\"')}"`).join(",")}}`;
const copyNullable = (value: string | null | undefined) => (value === null || value === undefined ? "\\N" : copyText(value));

/** One record as a line of COPY's text format. */
function copyLine(r: SyntheticRecord): string {
  return [
    r.seq.toString(),
    r.time.toISOString(),
    copyText(r.requestId),
    copyNullable(r.app),
    copyNullable(r.tokenId),
    copyNullable(r.purpose),
    copyNullable(r.operationName),
    copyNullable(r.operationHash),
    copyText(copyArray(r.citizens)),
    copyText(copyArray(r.requestedFields)),
    copyText(copyArray(r.grantedFields)),
    copyText(copyArray(r.deniedFields)),
    r.outcome,
    r.dataReleased ? "t" : "f",
    copyText(copyArray(r.errorCodes)),
    copyText(copyArray(r.subgraphs)),
    String(r.latencyMs),
    copyNullable(r.clientAddress),
    r.verifications == null ? "\\N" : copyText(JSON.stringify(r.verifications)),
    r.governance == null ? "\\N" : copyText(JSON.stringify(r.governance)),
    r.prevHash,
    r.hash,
    r.committedAt.toISOString(),
  ].join("\t");
}

/** Records whose citizens' rows are added by one statement after a COPY. */
const CITIZEN_ROWS_RANGE = 1_000_000n;

/**
 * Writes records with COPY on one PostgreSQL connection, then their citizens'
 * rows from them on the server (INSERT ... SELECT over each range of seqs:
 * no second stream of text to generate and parse). @returns the last record
 */
export async function copySyntheticRecords(
  client: pg.Client,
  records: Iterable<SyntheticRecord>,
  onProgress?: (written: number) => void,
): Promise<SyntheticRecord | null> {
  const stream = client.query(copyFrom(`COPY audit_record (${COLUMNS.replace(/\s+/g, " ")}) FROM STDIN`));
  const done = new Promise<void>((resolve, reject) => {
    stream.on("finish", resolve);
    stream.on("error", reject);
  });
  let first: SyntheticRecord | null = null;
  let last: SyntheticRecord | null = null;
  let chunk = "";
  let written = 0;
  for (const record of records) {
    chunk += `${copyLine(record)}\n`;
    first ??= record;
    last = record;
    written++;
    if (chunk.length > 1 << 20) {
      if (!stream.write(chunk)) await new Promise((resolve) => stream.once("drain", resolve));
      chunk = "";
      if (written % 100_000 < 2000) onProgress?.(written);
    }
  }
  stream.end(chunk);
  await done;
  if (first && last) {
    for (let from = first.seq; from <= last.seq; from += CITIZEN_ROWS_RANGE) {
      const to = from + CITIZEN_ROWS_RANGE - 1n < last.seq ? from + CITIZEN_ROWS_RANGE - 1n : last.seq;
      await client.query(CITIZEN_ROWS_OF(`(SELECT seq, citizens, committed_at FROM audit_record WHERE seq BETWEEN $1 AND $2)`), [from.toString(), to.toString()]);
    }
  }
  return last;
}
