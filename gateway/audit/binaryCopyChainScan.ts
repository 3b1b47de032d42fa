/**
 * Audit records read as a binary `COPY ... TO STDOUT (FORMAT binary)` of
 * BINARY_COPY_COLUMNS, checked as they arrive: each record's hash input
 * (`prevHash \n canonical form`, exactly as `chainHash` in auditChain.ts
 * builds it from an AuditEntry) is laid out here from the COPY bytes and
 * hashed, and the result goes to a PartScan (chainPartScan.ts).
 *
 * The database sends the columns as they are stored, the cheapest thing it
 * can send; this process lays the canonical form out byte by byte, with no
 * string or object per record. Most records take the fast layout: text
 * copied as it is (checked for bytes JSON must escape while copied), numbers
 * and the time written as digits. A record the fast layout does not cover
 * (a string JSON must escape, the JSON columns of audit-v2 records, a time
 * outside 1970–2199, an unusual array) is laid out again carefully, through
 * JSON.stringify as the writer did, so the bytes hashed are the bytes the
 * writer hashed. A record's hash and links are compared as bytes; strings
 * are made only where a run of consecutive records starts or ends and where
 * a head was signed.
 */
import { hash as digest } from "node:crypto";
import { sortedKeys } from "./auditChain.ts";
import type { PartScan } from "./chainPartScan.ts";

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

/** Bytes JSON.stringify escapes: control characters, the quote and the backslash. */
const ESCAPED = new Uint8Array(256).map((_, b) => (b < 0x20 || b === 0x22 || b === 0x5c ? 1 : 0));
/** Lower-case hex digits as bytes. */
const HEX = Buffer.from("0123456789abcdef", "latin1");
const QUOTE = 0x22;
const COMMA = 0x2c;
const OPEN = 0x5b;
const CLOSE = 0x5d;
const NULL = Buffer.from("null", "latin1");
const V1_OPENING = Buffer.from('\n["audit-v1","', "latin1");
const TRUE = Buffer.from(",true,", "latin1");
const FALSE = Buffer.from(",false,", "latin1");

const SIGNATURE = Buffer.from("PGCOPY\n\xff\r\n\0", "latin1");
/** Milliseconds from the Unix epoch to PostgreSQL's (2000-01-01). */
const POSTGRES_EPOCH_MS = 946_684_800_000;
const DAY_MS = 86_400_000;
/** The times the fast layout writes itself: from 1970 to the end of 2199 (the careful one covers the rest). */
const FAST_TIME_END_MS = Date.UTC(2200, 0, 1);
/** The longest hash input the fast layout writes (`out` holds 1 KiB more, for the fixed parts), beyond which a record is laid out carefully. */
const FAST_LIMIT = 1 << 16;

/** The records of seq `from`..`to` in a binary COPY of BINARY_COPY_COLUMNS, checked into `scan`; others are skipped. */
export async function scanBinaryCopy(chunks: AsyncIterable<Buffer>, scan: PartScan, from: number, to: number): Promise<void> {
  const reader = new BinaryCopyChainReader(scan, from, to);
  for await (const chunk of chunks) {
    if (!reader.push(chunk)) return; // too fragmented: the caller reads the part again in seq order
  }
  reader.end();
}

/** Reads a binary COPY stream chunk by chunk into a PartScan. */
export class BinaryCopyChainReader {
  private ended = false;
  private rest: Buffer | null = null;
  private headerRead = false;
  private readonly starts = new Int32Array(FIELDS);
  private readonly lengths = new Int32Array(FIELDS);
  /** The hash input being laid out. */
  private out = Buffer.allocUnsafe(FAST_LIMIT + 1024);
  private outView = new DataView(this.out.buffer, this.out.byteOffset, this.out.length);
  /** Views of `out`'s first n bytes, by n (see `input`). */
  private inputs: Array<Uint8Array | undefined> = new Array(this.out.length + 1);
  private at = 0;
  /** The COPY buffer being read, as a DataView. */
  private view: DataView | null = null;
  /** Where the last record added to the scan keeps its hash (a COPY buffer and offset), for the next record's link. */
  private lastBuf: Buffer | null = null;
  private lastView: DataView | null = null;
  private lastHashAt = 0;
  private lastHashLength = 0;
  /** The hash of the last record added when it had waited (up to 256 bytes: a char(64) of 4-byte characters). */
  private readonly waitedHash = Buffer.alloc(256);
  private readonly waitedView = new DataView(this.waitedHash.buffer, this.waitedHash.byteOffset, this.waitedHash.length);
  /** "YYYY-MM-DDT" of the day last written, and that day's number. */
  private readonly dayText = Buffer.alloc(11);
  private day = Number.NaN;
  private readonly digits = Buffer.alloc(24);

  constructor(
    private readonly scan: PartScan,
    private readonly from: number,
    private readonly to: number,
  ) {}

  /** @returns false once the scan is too fragmented to go on */
  push(chunk: Buffer): boolean {
    let from = 0;
    const rest = this.rest;
    if (rest) {
      // A record begun in the previous chunk: completed from the start of this one, copying only what that takes.
      this.rest = null;
      // At first small enough for Buffer's pool (a record is well under 4 KiB), then four times more each try.
      let take = Math.min(chunk.length, Math.max(1024, 4000 - rest.length));
      for (;;) {
        const bridge = Buffer.concat([rest, chunk.subarray(0, take)]);
        const pos = this.records(bridge, 0);
        if (pos < 0) return false;
        if (pos > rest.length || this.ended) {
          from = Math.max(0, pos - rest.length);
          break;
        }
        if (take === chunk.length) {
          this.rest = bridge;
          return true;
        }
        take = Math.min(chunk.length, take * 4);
      }
    }
    const pos = this.records(chunk, from);
    if (pos < 0) return false;
    if (pos < chunk.length && !this.ended) this.rest = chunk.subarray(pos);
    return true;
  }

  /** Checks the complete records of `buf` from `pos` (after the header, read first). @returns where the first incomplete one starts, or -1 once too fragmented */
  private records(buf: Buffer, pos: number): number {
    const size = buf.length;
    if (!this.headerRead) {
      if (size < pos + 19) return pos;
      if (!buf.subarray(pos, pos + 11).equals(SIGNATURE)) throw new Error("not a binary COPY stream");
      const extension = buf.readInt32BE(pos + 15);
      if (size < pos + 19 + extension) return pos;
      pos += 19 + extension;
      this.headerRead = true;
    }
    const { starts, lengths } = this;
    this.view = new DataView(buf.buffer, buf.byteOffset, buf.length);
    while (!this.ended && pos + 2 <= size) {
      const count = (buf[pos]! << 8) | buf[pos + 1]!;
      if (count === 0xffff) {
        this.ended = true;
        pos += 2;
        break;
      }
      if (count !== FIELDS) throw new Error(`a COPY row has ${count} columns, expected ${FIELDS}`);
      let p = pos + 2;
      let complete = true;
      for (let i = 0; i < FIELDS; i++) {
        if (p + 4 > size) {
          complete = false;
          break;
        }
        const length = (buf[p]! << 24) | (buf[p + 1]! << 16) | (buf[p + 2]! << 8) | buf[p + 3]!;
        p += 4;
        starts[i] = p;
        lengths[i] = length;
        if (length > 0) p += length;
        if (p > size) {
          complete = false;
          break;
        }
      }
      if (!complete) break;
      if (!this.record(buf)) return -1;
      pos = p;
    }
    return pos;
  }

  /** The stream ended: it must have ended with the COPY trailer. */
  end(): void {
    if (!this.ended) throw new Error("the COPY stream ended before its trailer");
    this.scan.finish(this.lastBuf ? this.lastHash() : null);
  }

  /** Checks one record into the scan. @returns false once the scan is too fragmented */
  private record(buf: Buffer): boolean {
    const { starts, lengths, scan } = this;
    const seq = buf.readUInt32BE(starts[SEQ]!) * 2 ** 32 + buf.readUInt32BE(starts[SEQ]! + 4);
    if (seq < this.from || seq > this.to) return true;
    const prevAt = starts[PREV_HASH]!;
    const prevLength = lengths[PREV_HASH]!;
    const hashAt = starts[HASH]!;
    const hashLength = lengths[HASH]!;
    if (!this.place(buf, seq, prevAt, prevLength, hashAt, hashLength)) return false;

    let length = this.layoutFast(buf, seq);
    if (length < 0) length = this.layoutCareful(buf, seq);
    const computed = digest("sha256", this.input(length), "binary");
    if (!matchesHex(computed, buf, hashAt, hashLength)) scan.changed(seq);
    if (scan.hasHead(seq)) scan.checkHead(seq, buf.toString("latin1", hashAt, hashAt + hashLength));

    this.drain();
    return true;
  }

  /** Places record `seq` in the scan: continuing the run, waiting for it, or starting a new one. @returns false once too fragmented */
  private place(buf: Buffer, seq: number, prevAt: number, prevLength: number, hashAt: number, hashLength: number): boolean {
    const scan = this.scan;
    if (scan.follows(seq)) {
      scan.extend(seq, this.linked(this.view!, prevAt, prevLength));
      this.setLast(buf, this.view!, hashAt, hashLength);
      return true;
    }
    if (scan.canWait(seq)) {
      // Ahead of the run (written into space left in an earlier page): it waits for its predecessor.
      scan.wait({ seq, prevHash: buf.toString("latin1", prevAt, prevAt + prevLength), hash: buf.toString("latin1", hashAt, hashAt + hashLength) });
      return true;
    }
    if (scan.stuck(seq)) {
      // The run waits for a record stored behind where the scan began: it ends, and the waiting records go on as the next run.
      scan.endRun(this.lastHash());
      const first = scan.takeLowestWaiting();
      if (!scan.startRun(first.seq, first.prevHash)) return false;
      this.setWaitedLast(first.hash);
      this.drain();
      return this.place(buf, seq, prevAt, prevLength, hashAt, hashLength);
    }
    if (this.lastBuf) scan.endRun(this.lastHash());
    if (!scan.startRun(seq, buf.toString("latin1", prevAt, prevAt + prevLength))) return false;
    this.setLast(buf, this.view!, hashAt, hashLength);
    return true;
  }

  /** Adds the waiting records that now follow the run. */
  private drain(): void {
    const scan = this.scan;
    for (let waiting = scan.next(); waiting; waiting = scan.next()) {
      scan.extend(waiting.seq, waiting.prevHash === this.lastHash());
      this.setWaitedLast(waiting.hash);
    }
  }

  /** The last record added had waited: its hash is kept here. */
  private setWaitedLast(hash: string): void {
    const length = this.waitedHash.write(hash, 0, "latin1");
    this.setLast(this.waitedHash, this.waitedView, 0, length);
  }

  /** The last record added to the run keeps its hash `length` bytes at `at` of `buf`. */
  private setLast(buf: Buffer, view: DataView, at: number, length: number): void {
    this.lastBuf = buf;
    this.lastView = view;
    this.lastHashAt = at;
    this.lastHashLength = length;
  }

  /** The last record added's hash. */
  private lastHash(): string {
    return this.lastBuf!.toString("latin1", this.lastHashAt, this.lastHashAt + this.lastHashLength);
  }

  /** The first `length` bytes of `out`: a view made once per length, not once per record. */
  private input(length: number): Uint8Array {
    if (length >= this.inputs.length) return this.out.subarray(0, length);
    return (this.inputs[length] ??= this.out.subarray(0, length));
  }

  /** Whether this record's prevHash (at `at`) is the last added record's hash. */
  private linked(view: DataView, at: number, length: number): boolean {
    if (length !== this.lastHashLength) return false;
    const last = this.lastView!;
    const lastAt = this.lastHashAt;
    let i = 0;
    for (; i + 4 <= length; i += 4) if (view.getInt32(at + i) !== last.getInt32(lastAt + i)) return false;
    for (; i < length; i++) if (view.getUint8(at + i) !== last.getUint8(lastAt + i)) return false;
    return true;
  }

  /**
   * The record's hash input laid out in `out` the fast way, for an audit-v1
   * record whose strings JSON need not escape. @returns its length, or -1
   * when the record needs the careful layout
   */
  private layoutFast(buf: Buffer, seq: number): number {
    const { starts, lengths, out } = this;
    const view = this.view!;
    if (lengths[VERIFICATIONS]! >= 0 || lengths[GOVERNANCE]! >= 0 || lengths[LATENCY] !== 4 || lengths[DATA_RELEASED] !== 1) return -1;
    if (lengths[PREV_HASH]! > 256) return -1;
    const micros = buf.readInt32BE(starts[TIME]!) * 2 ** 32 + buf.readUInt32BE(starts[TIME]! + 4);
    const ms = POSTGRES_EPOCH_MS + Math.floor(micros / 1000);
    if (!(ms >= 0 && ms < FAST_TIME_END_MS)) return -1;
    // The prevHash is hashed as it is stored, escapable bytes or not.
    let at = this.copyChecked(view, starts[PREV_HASH]!, lengths[PREV_HASH]!, 0);
    if (at < 0) at = -at;
    at = copy(V1_OPENING, 0, V1_OPENING.length, out, at);
    at = this.decimal(seq, at);
    out[at++] = QUOTE;
    out[at++] = COMMA;
    out[at++] = QUOTE;
    at = this.time(ms, at);
    out[at++] = QUOTE;
    out[at++] = COMMA;
    for (const field of LEADING_TEXT_FIELDS) {
      at = this.stringFast(view, field, at);
      if (at < 0) return -1;
      out[at++] = COMMA;
    }
    for (const field of FIELD_LIST_FIELDS) {
      at = this.textArrayFast(buf, view, field, at);
      if (at < 0) return -1;
      out[at++] = COMMA;
    }
    // The outcome, an enum, is never NULL.
    if (lengths[OUTCOME]! < 0) return -1;
    at = this.stringFast(view, OUTCOME, at);
    if (at < 0) return -1;
    at = buf[starts[DATA_RELEASED]!] ? copy(TRUE, 0, TRUE.length, out, at) : copy(FALSE, 0, FALSE.length, out, at);
    at = this.textArrayFast(buf, view, ERROR_CODES, at);
    if (at < 0) return -1;
    out[at++] = COMMA;
    at = this.textArrayFast(buf, view, SUBGRAPHS, at);
    if (at < 0) return -1;
    out[at++] = COMMA;
    at = this.decimal(buf.readInt32BE(starts[LATENCY]!), at);
    out[at++] = COMMA;
    at = this.stringFast(view, CLIENT_ADDRESS, at);
    if (at < 0) return -1;
    out[at++] = CLOSE;
    return at;
  }

  /** A text column as a JSON string that needs no escape, or null. @returns the new end, or -1 */
  private stringFast(view: DataView, field: number, at: number): number {
    const length = this.lengths[field]!;
    if (length < 0) return copy(NULL, 0, 4, this.out, at);
    if (at + length > FAST_LIMIT) return -1;
    this.out[at] = QUOTE;
    at = this.copyChecked(view, this.starts[field]!, length, at + 1);
    if (at < 0) return -1;
    this.out[at] = QUOTE;
    return at + 1;
  }

  /** A one-dimensional text[] column as a JSON array whose strings need no escape, or null. @returns the new end, or -1 */
  private textArrayFast(buf: Buffer, view: DataView, field: number, at: number): number {
    const out = this.out;
    const length = this.lengths[field]!;
    if (length < 0) return copy(NULL, 0, 4, out, at);
    // JSON takes at most 2 bytes more than the binary form per element (a NULL: 4 bytes, then `null,`).
    if (at + 2 * length + 2 > FAST_LIMIT) return -1;
    let p = this.starts[field]!;
    const dimensions = buf.readInt32BE(p);
    if (dimensions === 0) {
      out[at++] = OPEN;
      out[at++] = CLOSE;
      return at;
    }
    if (dimensions !== 1) return -1;
    const count = buf.readInt32BE(p + 12);
    p += 20;
    out[at++] = OPEN;
    for (let e = 0; e < count; e++) {
      if (e > 0) out[at++] = COMMA;
      const element = view.getInt32(p);
      p += 4;
      if (element < 0) at = copy(NULL, 0, 4, out, at);
      else {
        out[at] = QUOTE;
        at = this.copyChecked(view, p, element, at + 1);
        if (at < 0) return -1;
        out[at++] = QUOTE;
        p += element;
      }
    }
    out[at++] = CLOSE;
    return at;
  }

  /**
   * Copies `length` bytes of the COPY buffer at `start` to `out` at `at`,
   * four at a time, looking for bytes JSON must escape (a control character,
   * the quote or the backslash) as it goes. @returns the new end, negated
   * when one was found
   */
  private copyChecked(view: DataView, start: number, length: number, at: number): number {
    const out = this.outView;
    const end = start + length;
    let found = 0;
    let i = start;
    for (; i + 4 <= end; i += 4, at += 4) {
      const word = view.getUint32(i, true);
      out.setUint32(at, word, true);
      // Per byte, the top bit is set where a byte is below 0x20, 0x22 or 0x5c (exact when none is: no borrow then).
      const quote = word ^ 0x22222222;
      const backslash = word ^ 0x5c5c5c5c;
      found |= ((word - 0x20202020) & ~word) | ((quote - 0x01010101) & ~quote) | ((backslash - 0x01010101) & ~backslash);
    }
    found &= 0x80808080;
    for (; i < end; i++) {
      const b = view.getUint8(i);
      found |= ESCAPED[b]!;
      this.out[at++] = b;
    }
    return found === 0 ? at : -at;
  }

  /** An integer's decimal digits at `at`. @returns the new end */
  private decimal(value: number, at: number): number {
    const out = this.out;
    if (value < 0) {
      out[at++] = 0x2d;
      value = -value;
    }
    const digits = this.digits;
    let n = 0;
    do {
      const next = Math.floor(value / 10);
      digits[n++] = 0x30 + (value - next * 10);
      value = next;
    } while (value > 0);
    while (n > 0) out[at++] = digits[--n]!;
    return at;
  }

  /** A time from 1970 to 2199 as Date.prototype.toISOString writes it. @returns the new end */
  private time(ms: number, at: number): number {
    const out = this.out;
    const day = Math.floor(ms / DAY_MS);
    if (day !== this.day) {
      this.dayText.write(new Date(day * DAY_MS).toISOString().slice(0, 11), "latin1");
      this.day = day;
    }
    at = copy(this.dayText, 0, 11, out, at);
    let rest = ms - day * DAY_MS;
    const hours = Math.floor(rest / 3_600_000);
    rest -= hours * 3_600_000;
    const minutes = Math.floor(rest / 60_000);
    rest -= minutes * 60_000;
    const seconds = Math.floor(rest / 1000);
    const millis = rest - seconds * 1000;
    out[at++] = 0x30 + Math.floor(hours / 10);
    out[at++] = 0x30 + (hours % 10);
    out[at++] = 0x3a;
    out[at++] = 0x30 + Math.floor(minutes / 10);
    out[at++] = 0x30 + (minutes % 10);
    out[at++] = 0x3a;
    out[at++] = 0x30 + Math.floor(seconds / 10);
    out[at++] = 0x30 + (seconds % 10);
    out[at++] = 0x2e;
    out[at++] = 0x30 + Math.floor(millis / 100);
    out[at++] = 0x30 + (Math.floor(millis / 10) % 10);
    out[at++] = 0x30 + (millis % 10);
    out[at++] = 0x5a;
    return at;
  }

  /**
   * The record's hash input laid out in `out` as the writer builds it: any
   * string JSON must escape, and the JSON columns of audit-v2 records, go
   * through JSON.stringify. @returns its length
   */
  private layoutCareful(buf: Buffer, seq: number): number {
    const { starts, lengths } = this;
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
      this.byte(COMMA);
    }
    for (const field of FIELD_LIST_FIELDS) {
      this.textArray(buf, field);
      this.byte(COMMA);
    }
    this.text(buf, OUTCOME);
    this.ascii(buf[starts[DATA_RELEASED]!] ? ",true," : ",false,");
    this.textArray(buf, ERROR_CODES);
    this.byte(COMMA);
    this.textArray(buf, SUBGRAPHS);
    this.byte(COMMA);
    this.ascii(String(buf.readInt32BE(starts[LATENCY]!)));
    this.byte(COMMA);
    this.text(buf, CLIENT_ADDRESS);
    if (extended) {
      this.byte(COMMA);
      this.utf8(JSON.stringify(sortedKeys(verifications ?? null)));
      this.byte(COMMA);
      this.utf8(JSON.stringify(sortedKeys(governance ?? null)));
    }
    this.byte(CLOSE);
    return this.at;
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
    this.byte(OPEN);
    for (let i = 0; i < count; i++) {
      if (i > 0) this.byte(COMMA);
      const element = buf.readInt32BE(p);
      p += 4;
      if (element < 0) this.ascii("null");
      else {
        this.jsonString(buf, p, element);
        p += element;
      }
    }
    this.byte(CLOSE);
  }

  /** UTF-8 bytes as a JSON string: copied as they are unless JSON must escape one, then as JSON.stringify writes it. */
  private jsonString(buf: Buffer, start: number, length: number): void {
    const end = start + length;
    for (let i = start; i < end; i++) {
      if (ESCAPED[buf[i]!]) return this.utf8(JSON.stringify(buf.toString("utf8", start, end)));
    }
    this.ensure(length + 2);
    this.out[this.at++] = QUOTE;
    this.bytes(buf, start, length);
    this.out[this.at++] = QUOTE;
  }

  private bytes(buf: Buffer, start: number, length: number): void {
    this.ensure(length);
    buf.copy(this.out, this.at, start, start + length);
    this.at += length;
  }

  private ascii(text: string): void {
    this.ensure(text.length);
    this.at += this.out.write(text, this.at, "latin1");
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
    this.outView = new DataView(grown.buffer, grown.byteOffset, grown.length);
    this.inputs = new Array(grown.length + 1);
  }
}

/** Copies `length` bytes of `from` at `start` to `to` at `at`. @returns the new end */
function copy(from: Buffer, start: number, length: number, to: Buffer, at: number): number {
  for (let i = 0; i < length; i++) to[at + i] = from[start + i]!;
  return at + length;
}

/** Whether the stored hash (`length` bytes at `at`) is the digest (its bytes as a latin1 string) in lower-case hex. */
function matchesHex(digestBytes: string, buf: Buffer, at: number, length: number): boolean {
  if (length !== 64) return false;
  for (let i = 0; i < 32; i++) {
    const b = digestBytes.charCodeAt(i);
    if (buf[at + 2 * i] !== HEX[b >> 4] || buf[at + 2 * i + 1] !== HEX[b & 15]) return false;
  }
  return true;
}
