/**
 * Audit records read as a binary `COPY ... TO STDOUT (FORMAT binary)` of
 * BINARY_COPY_COLUMNS, each turned into its hash input (`prevHash \n
 * canonical form`, exactly as `chainHash` in auditChain.ts builds it from an
 * AuditEntry) and hashed here.
 *
 * The database sends the columns as they are stored, which is the cheapest
 * thing it can send (no text conversion, no JSON built per row); this
 * process lays the canonical form out byte by byte from the COPY buffer.
 * Strings that JSON must escape, and the JSON columns of audit-v2 records,
 * go through JSON.stringify as the writer did, so the bytes hashed are the
 * bytes the writer hashed.
 */
import { hash as digest } from "node:crypto";
import { sortedKeys } from "./auditChain.ts";

/** The columns, in the order this reader expects them. */
export const BINARY_COPY_COLUMNS =
  "seq, time, request_id, app, token_id, purpose, operation_name, operation_hash, citizens, requested_fields, granted_fields, denied_fields, outcome, data_released, error_codes, subgraphs, latency_ms, client_address, prev_hash, hash, verifications, governance";

const FIELDS = 22;
// Column positions in BINARY_COPY_COLUMNS.
const SEQ = 0;
const TIME = 1;
const REQUEST_ID = 2;
const APP = 3;
const TOKEN_ID = 4;
const PURPOSE = 5;
const OPERATION_NAME = 6;
const OPERATION_HASH = 7;
const CITIZENS = 8;
const REQUESTED = 9;
const GRANTED = 10;
const DENIED = 11;
const OUTCOME = 12;
const DATA_RELEASED = 13;
const ERROR_CODES = 14;
const SUBGRAPHS = 15;
const LATENCY = 16;
const CLIENT_ADDRESS = 17;
const PREV_HASH = 18;
const HASH = 19;
const VERIFICATIONS = 20;
const GOVERNANCE = 21;

/** The text columns after the time, and the array columns after them, in canonical order. */
const LEADING_TEXT_FIELDS = [REQUEST_ID, APP, TOKEN_ID, PURPOSE, OPERATION_NAME, OPERATION_HASH];
const FIELD_LIST_FIELDS = [CITIZENS, REQUESTED, GRANTED, DENIED];

/** A record as the chain check needs it: its place, its links and the hash recomputed from its content. */
export interface ChainRow {
  seq: number;
  prevHash: string;
  hash: string;
  /** SHA-256 (hex) of the record's hash input, computed here. */
  computed: string;
}

/** Bytes JSON.stringify escapes: control characters, the quote and the backslash. */
const ESCAPED = new Uint8Array(256).map((_, b) => (b < 0x20 || b === 0x22 || b === 0x5c ? 1 : 0));

const SIGNATURE = Buffer.from("PGCOPY\n\xff\r\n\0", "latin1");
/** Microseconds from the Unix epoch to PostgreSQL's (2000-01-01). */
const POSTGRES_EPOCH_MS = 946_684_800_000;

/** Rows of a binary COPY of BINARY_COPY_COLUMNS, a chunk's worth at a time. */
export async function* binaryCopyChainRows(chunks: AsyncIterable<Buffer>): AsyncIterable<ChainRow[]> {
  const reader = new ChainRowReader();
  for await (const chunk of chunks) {
    const rows = reader.push(chunk);
    if (rows.length > 0) yield rows;
  }
  if (!reader.ended) throw new Error("the COPY stream ended before its trailer");
}

class ChainRowReader {
  ended = false;
  private rest: Buffer | null = null;
  private headerRead = false;
  private readonly starts = new Int32Array(FIELDS);
  private readonly lengths = new Int32Array(FIELDS);
  private out = Buffer.allocUnsafe(64 * 1024);
  private at = 0;

  push(chunk: Buffer): ChainRow[] {
    const buf = this.rest ? Buffer.concat([this.rest, chunk]) : chunk;
    const rows: ChainRow[] = [];
    let pos = 0;
    if (!this.headerRead) {
      if (buf.length < 19) {
        this.rest = buf;
        return rows;
      }
      if (!buf.subarray(0, 11).equals(SIGNATURE)) throw new Error("not a binary COPY stream");
      const extension = buf.readInt32BE(15);
      if (buf.length < 19 + extension) {
        this.rest = buf;
        return rows;
      }
      pos = 19 + extension;
      this.headerRead = true;
    }
    while (!this.ended && pos + 2 <= buf.length) {
      const count = buf.readInt16BE(pos);
      if (count === -1) {
        this.ended = true;
        pos += 2;
        break;
      }
      if (count !== FIELDS) throw new Error(`a COPY row has ${count} columns, expected ${FIELDS}`);
      let p = pos + 2;
      let complete = true;
      for (let i = 0; i < FIELDS; i++) {
        if (p + 4 > buf.length) {
          complete = false;
          break;
        }
        const length = buf.readInt32BE(p);
        p += 4;
        this.starts[i] = p;
        this.lengths[i] = length;
        if (length > 0) p += length;
        if (p > buf.length) {
          complete = false;
          break;
        }
      }
      if (!complete) break;
      rows.push(this.row(buf));
      pos = p;
    }
    this.rest = pos < buf.length ? buf.subarray(pos) : null;
    return rows;
  }

  private row(buf: Buffer): ChainRow {
    const { starts, lengths } = this;
    const seq = buf.readUInt32BE(starts[SEQ]!) * 2 ** 32 + buf.readUInt32BE(starts[SEQ]! + 4);
    const prevHash = buf.toString("latin1", starts[PREV_HASH]!, starts[PREV_HASH]! + lengths[PREV_HASH]!);
    const hash = buf.toString("latin1", starts[HASH]!, starts[HASH]! + lengths[HASH]!);
    const verifications = this.json(buf, VERIFICATIONS) as { length?: number } | null;
    const governance = this.json(buf, GOVERNANCE);
    const extended = (verifications != null && (verifications.length ?? 0) > 0) || governance != null;

    this.at = 0;
    this.bytes(buf, starts[PREV_HASH]!, lengths[PREV_HASH]!);
    this.ascii(extended ? '\n["audit-v2","' : '\n["audit-v1","');
    this.ascii(String(seq));
    this.ascii('","');
    this.ascii(new Date(POSTGRES_EPOCH_MS + Number(buf.readBigInt64BE(starts[TIME]!)) / 1000).toISOString());
    this.ascii('",');
    for (const field of LEADING_TEXT_FIELDS) {
      this.text(buf, field);
      this.byte(0x2c);
    }
    for (const field of FIELD_LIST_FIELDS) {
      this.textArray(buf, field);
      this.byte(0x2c);
    }
    this.text(buf, OUTCOME);
    this.ascii(buf[starts[DATA_RELEASED]!] ? ",true," : ",false,");
    this.textArray(buf, ERROR_CODES);
    this.byte(0x2c);
    this.textArray(buf, SUBGRAPHS);
    this.byte(0x2c);
    this.ascii(String(buf.readInt32BE(starts[LATENCY]!)));
    this.byte(0x2c);
    this.text(buf, CLIENT_ADDRESS);
    if (extended) {
      this.byte(0x2c);
      this.utf8(JSON.stringify(sortedKeys(verifications ?? null)));
      this.byte(0x2c);
      this.utf8(JSON.stringify(sortedKeys(governance ?? null)));
    }
    this.byte(0x5d);
    return { seq, prevHash, hash, computed: digest("sha256", this.out.subarray(0, this.at), "hex") };
  }

  /** A jsonb column (binary: a version byte, then the JSON text), parsed; null when SQL NULL. */
  private json(buf: Buffer, field: number): unknown {
    const length = this.lengths[field]!;
    if (length < 0) return null;
    const start = this.starts[field]!;
    if (buf[start] !== 1) throw new Error(`unknown jsonb version ${buf[start]}`);
    return JSON.parse(buf.toString("utf8", start + 1, start + length));
  }

  /** A text column as a JSON string (null when SQL NULL). */
  private text(buf: Buffer, field: number): void {
    const length = this.lengths[field]!;
    if (length < 0) this.ascii("null");
    else this.jsonString(buf, this.starts[field]!, length);
  }

  /** A one-dimensional text[] column as a JSON array (null when SQL NULL). */
  private textArray(buf: Buffer, field: number): void {
    const length = this.lengths[field]!;
    if (length < 0) return this.ascii("null");
    let p = this.starts[field]!;
    const dimensions = buf.readInt32BE(p);
    if (dimensions === 0) return this.ascii("[]");
    // A multi-dimensional array is never written by the audit writer: lay out a form no record hashes to.
    if (dimensions !== 1) return this.ascii('"unexpected array"');
    const count = buf.readInt32BE(p + 12);
    p += 20;
    this.byte(0x5b);
    for (let i = 0; i < count; i++) {
      if (i > 0) this.byte(0x2c);
      const element = buf.readInt32BE(p);
      p += 4;
      if (element < 0) this.ascii("null");
      else {
        this.jsonString(buf, p, element);
        p += element;
      }
    }
    this.byte(0x5d);
  }

  /** UTF-8 bytes as a JSON string: copied as they are unless JSON must escape one, then as JSON.stringify writes it. */
  private jsonString(buf: Buffer, start: number, length: number): void {
    const end = start + length;
    for (let i = start; i < end; i++) {
      if (ESCAPED[buf[i]!]) return this.utf8(JSON.stringify(buf.toString("utf8", start, end)));
    }
    this.ensure(length + 2);
    const out = this.out;
    out[this.at++] = 0x22;
    if (length > 24) buf.copy(out, this.at, start, end);
    else for (let i = start, at = this.at; i < end; i++) out[at++] = buf[i]!;
    this.at += length;
    out[this.at++] = 0x22;
  }

  private bytes(buf: Buffer, start: number, length: number): void {
    this.ensure(length);
    buf.copy(this.out, this.at, start, start + length);
    this.at += length;
  }

  private ascii(text: string): void {
    this.ensure(text.length);
    const out = this.out;
    let at = this.at;
    for (let i = 0; i < text.length; i++) out[at++] = text.charCodeAt(i);
    this.at = at;
  }

  private utf8(text: string): void {
    this.ensure(Buffer.byteLength(text));
    this.at += this.out.write(text, this.at, "utf8");
  }

  private byte(b: number): void {
    this.ensure(1);
    this.out[this.at++] = b;
  }

  private ensure(more: number): void {
    if (this.at + more <= this.out.length) return;
    const grown = Buffer.allocUnsafe(Math.max(this.out.length * 2, this.at + more));
    this.out.copy(grown, 0, 0, this.at);
    this.out = grown;
  }
}
