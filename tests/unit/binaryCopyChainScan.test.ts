/**
 * The verifier's reader of binary COPY streams recomputes each record's hash
 * exactly as the writer computed it (chainHash), whatever the record holds
 * (text JSON must escape, non-ASCII text, absent values, verification and
 * governance details, unusual times) and however the stream is cut into
 * chunks; and it finds an edited record, a broken link and records stored
 * out of seq order. The streams are laid out here as PostgreSQL sends a
 * binary COPY of BINARY_COPY_COLUMNS (the integration tests read real ones).
 */
import { describe, expect, it } from "vitest";
import type { AuditEntry } from "../../gateway/audit/AuditEntry.ts";
import { GENESIS_HASH, chainHash } from "../../gateway/audit/auditChain.ts";
import { BINARY_COPY_COLUMNS, BinaryCopyChainReader } from "../../gateway/audit/binaryCopyChainScan.ts";
import { PartScan } from "../../gateway/audit/chainPartScan.ts";

interface StoredRecord {
  seq: number;
  entry: AuditEntry;
  prevHash: string;
  hash: string;
}

function entry(i: number, overrides: Partial<AuditEntry> = {}): AuditEntry {
  return {
    time: new Date(Date.UTC(2026, 10, 30, 23, 59, 58) + i * 37),
    requestId: `5b0c1d3e-0000-4000-8000-${String(i).padStart(12, "0")}`,
    app: `app:bench-0${i % 10}`,
    tokenId: `tok-${i}`,
    purpose: "HOUSING_LOAN_REVIEW",
    operationName: "Op",
    operationHash: "a".repeat(64),
    citizens: ["c".repeat(64)],
    requestedFields: ["Citizen.name", "HousingFundAccount.balance", "Query.citizen"],
    grantedFields: ["Citizen.name", "Query.citizen"],
    deniedFields: ["HousingFundAccount.balance"],
    outcome: "PARTIAL",
    dataReleased: i % 2 === 0,
    errorCodes: [],
    subgraphs: ["civil-affairs", "housing-fund"],
    latencyMs: i * 7,
    clientAddress: "10.20.1.74",
    ...overrides,
  };
}

/** Records whose canonical form the fast layout does not cover, or covers at its edges. */
const UNUSUAL: Array<Partial<AuditEntry>> = [
  { purpose: 'quote " backslash \\ tab \t newline \n bell \u0007 end', operationName: "查询公积金 🏠" },
  { app: null, tokenId: null, purpose: null, operationName: null, operationHash: null, clientAddress: null },
  { citizens: [], requestedFields: [], grantedFields: [], deniedFields: [], errorCodes: [], subgraphs: [] },
  { errorCodes: ["SUBGRAPH_UNAVAILABLE", 'a"b'], subgraphs: ["back\\slash"] },
  { citizens: ["\u001f", "x"], deniedFields: ["DEL \u007f and U+2028 \u2028 pass unescaped"] },
  { requestId: "", app: "", latencyMs: 0 },
  { latencyMs: -5 },
  { latencyMs: 2_147_483_647 },
  { outcome: "UNAUTHENTICATED", dataReleased: false },
  { time: new Date("1969-07-20T20:17:40.123Z") },
  { time: new Date("1970-01-01T00:00:00.000Z") },
  { time: new Date("2199-12-31T23:59:59.999Z") },
  { time: new Date("2200-01-01T00:00:00.000Z") },
  { time: new Date("2000-02-29T12:00:00.001Z") },
  { verifications: [{ coordinate: "TaxpayerProfile.incomeAtLeast", citizen: "b".repeat(64), arguments: { z: 1, a: "元", nested: { y: [2, "\n"], b: null } } }] },
  { governance: { action: "GRANT", actor: "agency:tax", reason: '审批 "ok"', application: "app-1", scopes: ["tax:income"] } },
  { verifications: [], governance: null },
  { purpose: "x".repeat(200), citizens: Array.from({ length: 50 }, (_, i) => `${i}`.repeat(64).slice(0, 64)) },
];

function chain(entries: AuditEntry[], first = 1, prevHash = GENESIS_HASH): StoredRecord[] {
  return entries.map((e, i) => {
    const seq = first + i;
    const hash = chainHash(prevHash, BigInt(seq), e);
    const record = { seq, entry: e, prevHash, hash };
    prevHash = hash;
    return record;
  });
}

const POSTGRES_EPOCH_MS = 946_684_800_000;
const TEXT_OID = 25;

/** A binary COPY stream of BINARY_COPY_COLUMNS, as PostgreSQL sends it (jsonb as its version byte and text). */
function binaryCopy(records: StoredRecord[], edit: (record: StoredRecord) => StoredRecord = (r) => r): Buffer {
  const parts: Buffer[] = [Buffer.from("PGCOPY\n\xff\r\n\0", "latin1"), int32(0), int32(0)];
  for (const stored of records.map(edit)) {
    const e = stored.entry;
    const fields: Array<Buffer | null> = [
      int64(BigInt(stored.seq)),
      int64(BigInt(e.time.getTime() - POSTGRES_EPOCH_MS) * 1000n),
      text(e.requestId),
      text(e.app),
      text(e.tokenId),
      text(e.purpose),
      text(e.operationName),
      text(e.operationHash),
      textArray(e.citizens),
      textArray(e.requestedFields),
      textArray(e.grantedFields),
      textArray(e.deniedFields),
      text(e.outcome),
      Buffer.from([e.dataReleased ? 1 : 0]),
      textArray(e.errorCodes),
      textArray(e.subgraphs),
      int32(e.latencyMs),
      text(e.clientAddress),
      text(stored.prevHash),
      text(stored.hash),
      jsonb(e.verifications),
      jsonb(e.governance),
    ];
    expect(fields.length).toBe(BINARY_COPY_COLUMNS.split(",").length);
    parts.push(int16(fields.length));
    for (const field of fields) parts.push(...(field === null ? [int32(-1)] : [int32(field.length), field]));
  }
  parts.push(int16(-1));
  return Buffer.concat(parts);
}

const int16 = (n: number) => Buffer.from([(n >> 8) & 0xff, n & 0xff]);
function int32(n: number): Buffer {
  const b = Buffer.alloc(4);
  b.writeInt32BE(n);
  return b;
}
function int64(n: bigint): Buffer {
  const b = Buffer.alloc(8);
  b.writeBigInt64BE(n);
  return b;
}
const text = (value: string | null) => (value === null ? null : Buffer.from(value, "utf8"));
function textArray(values: string[] | null): Buffer | null {
  if (values === null) return null;
  if (values.length === 0) return Buffer.concat([int32(0), int32(0), int32(TEXT_OID)]);
  return Buffer.concat([int32(1), int32(0), int32(TEXT_OID), int32(values.length), int32(1), ...values.flatMap((v) => [int32(Buffer.byteLength(v)), Buffer.from(v, "utf8")])]);
}
const jsonb = (value: unknown) => (value == null ? null : Buffer.concat([Buffer.from([1]), Buffer.from(JSON.stringify(value), "utf8")]));

/** The stream cut into chunks of the given sizes, cycling. */
function cut(stream: Buffer, sizes: number[]): Buffer[] {
  const chunks: Buffer[] = [];
  for (let at = 0, i = 0; at < stream.length; i++) {
    const size = sizes[i % sizes.length]!;
    chunks.push(stream.subarray(at, at + size));
    at += size;
  }
  return chunks;
}

function scanOf(chunks: Buffer[], options: { from?: number; to?: number; maxRuns?: number; waitingLimit?: number } = {}): PartScan {
  const scan = new PartScan(new Map(), options.maxRuns ?? Infinity, options.waitingLimit);
  const reader = new BinaryCopyChainReader(scan, options.from ?? 1, options.to ?? Number.MAX_SAFE_INTEGER);
  for (const chunk of chunks) if (!reader.push(chunk)) return scan;
  reader.end();
  return scan;
}

const records = chain([...Array.from({ length: 40 }, (_, i) => entry(i)), ...UNUSUAL.map((overrides, i) => entry(100 + i, overrides)), ...Array.from({ length: 40 }, (_, i) => entry(200 + i))]);
const last = records.at(-1)!;

describe("binary COPY chain reader", () => {
  it.each([
    ["one chunk", [1 << 30]],
    ["64 KiB chunks", [65536]],
    ["chunks of 1, 2, 3 and 7 bytes", [1, 2, 3, 7]],
    ["chunks of 500 to 1,500 bytes", [500, 1499, 733, 1024]],
  ])("recomputes every record's hash as the writer did, read in %s", (_name, sizes) => {
    const scan = scanOf(cut(binaryCopy(records), sizes));
    expect(scan.problem).toBeNull();
    expect(scan.runs).toEqual([{ first: 1, last: last.seq, firstPrevHash: GENESIS_HASH, lastHash: last.hash }]);
  });

  it("names a record whose content was changed, wherever it is and whatever it holds", () => {
    for (const changed of [3, 41, 45, 55, records.length]) {
      const edited = binaryCopy(records, (r) => (r.seq === changed ? { ...r, entry: { ...r.entry, latencyMs: r.entry.latencyMs + 1 } } : r));
      expect(scanOf(cut(edited, [4096])).problem, `record ${changed}`).toEqual({ seq: changed, kind: "changed" });
    }
    const quoted = records.find((r) => r.entry.purpose?.includes('"'))!;
    const unquoted = binaryCopy(records, (r) => (r === quoted ? { ...r, entry: { ...r.entry, purpose: r.entry.purpose!.replace(/"/g, "'") } } : r));
    expect(scanOf([unquoted]).problem).toEqual({ seq: quoted.seq, kind: "changed" });
  });

  it("names a record that does not follow the one before it", () => {
    const moved = binaryCopy(records, (r) => (r.seq === 20 ? { ...r, prevHash: records[0]!.hash } : r));
    expect(scanOf([moved]).problem).toEqual({ seq: 20, kind: "link" });
  });

  it("lets records stored ahead of their place wait for the run, keeps records stored behind it as runs, and skips records outside the range", () => {
    // Records written into space left in earlier pages come ahead of their place: they wait, and the part stays one run.
    const ahead = [...records.slice(0, 10), ...records.slice(30, 50), ...records.slice(10, 30), ...records.slice(50)];
    const one = scanOf(cut(binaryCopy(ahead), [777]), { from: 5, to: last.seq - 3 });
    expect(one.problem).toBeNull();
    expect(one.runs).toEqual([{ first: 5, last: last.seq - 3, firstPrevHash: records[3]!.hash, lastHash: records.at(-4)!.hash }]);
    // Records behind the run start a run of their own; what waited in vain is kept as runs too.
    const behind = [...records.slice(10, 30), ...records.slice(0, 10), ...records.slice(30)];
    const runs = scanOf(cut(binaryCopy(behind), [999]));
    expect(runs.problem).toBeNull();
    expect(runs.runs.map((run) => [run.first, run.last])).toEqual([
      [11, 30],
      [1, 10],
      [31, last.seq],
    ]);
    expect(runs.runs[0]).toMatchObject({ firstPrevHash: records[9]!.hash, lastHash: records[29]!.hash });
    expect(scanOf([binaryCopy(behind)], { maxRuns: 2 }).fragmented).toBe(true);
    // A scan that began mid-table (a synchronized scan) and whose run waits for a record stored behind: once no more can wait, the waiting records go on as the next run.
    const bySeq = (seqs: number[]) => seqs.map((seq) => records[seq - 1]!);
    const range = (from: number, to: number) => Array.from({ length: to - from + 1 }, (_, i) => from + i);
    const midTable = scanOf(cut(binaryCopy(bySeq([10, ...range(12, last.seq), ...range(1, 9), 11])), [555]), { waitingLimit: 5 });
    expect(midTable.problem).toBeNull();
    expect(midTable.runs.map((run) => [run.first, run.last])).toEqual([
      [10, 10],
      [12, last.seq],
      [1, 9],
      [11, 11],
    ]);
    expect(midTable.runs[1]).toMatchObject({ firstPrevHash: records[10]!.hash, lastHash: last.hash });
    // A waiting record that does not link to the run is named.
    const unlinked = binaryCopy(ahead, (r) => (r.seq === 31 ? { ...r, prevHash: GENESIS_HASH } : r));
    expect(scanOf([unlinked]).problem).toEqual({ seq: 31, kind: "link" });
  });

  it("refuses a stream that is not a binary COPY or ends before its trailer", () => {
    expect(() => scanOf([Buffer.from("seq\thash\n1\tabc\n2\tdef\n3\tghi\n")])).toThrow(/not a binary COPY/);
    const stream = binaryCopy(records);
    expect(() => scanOf([stream.subarray(0, stream.length - 2)])).toThrow(/ended before its trailer/);
  });
});
