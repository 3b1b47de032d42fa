/**
 * A minimal HTTP/1.1 client for plain-HTTP subgraph POSTs: pooled keep-alive
 * TCP connections per host, one request in flight per connection, each
 * request written as one string (one write), the response parsed from the
 * socket's bytes (Content-Length or chunked). It exists because node:http's
 * ClientRequest, IncomingMessage, Agent bookkeeping and streams were the
 * gateway's largest remaining cost per subgraph fetch, and a one-stop
 * request makes eight of them.
 *
 * A request has one deadline covering the wait for a connection, the send
 * and the whole response, and one size limit covering the response's head
 * and body (a larger answer fails the request and closes the connection
 * before more of it is buffered). Nothing is retried. A response the parser does not
 * accept (malformed framing, bytes after the response) fails that request
 * and closes its connection.
 */
import { connect, type Socket } from "node:net";

export interface Http1Response {
  status: number;
  statusText: string;
  /** Lower-case names; repeated headers joined with ", ". */
  headers: Record<string, string>;
  body: string;
}

export interface Http1PoolOptions {
  /** Open connections per host. @default 256 */
  maxSockets?: number;
  /** An idle connection older than this is closed instead of reused. @default 30_000 */
  idleMs?: number;
  /** The most bytes read for one response, head and body together. @default 32 MiB */
  maxResponseBytes?: number;
  /** The error a response over `maxResponseBytes` fails with. */
  tooLarge?: () => Error;
}

export interface Http1Target {
  hostname: string;
  port: number;
  /** The Host header, e.g. `127.0.0.1:4001` or `[::1]:4001`. */
  host: string;
  path: string;
}

export interface Http1ConnectionPool {
  /**
   * POSTs `body` with `headers` (no content-length, host or connection: the pool adds them).
   * `deadline` is called with a function that aborts the request; the caller owns the timer.
   */
  post(target: Http1Target, headers: Record<string, string | number>, body: string, onAbortable: (abort: (error: Error) => void) => void): Promise<Http1Response>;
  close(): void;
}

const UNSAFE_HEADER = /[\r\n\0]/;
/** A chunk size: hex digits only (at most eight: no chunk is near 4 GiB). */
const CHUNK_SIZE = /^[0-9a-fA-F]{1,8}$/;
const CRLF = Buffer.from("\r\n");
const HEADERS_END = Buffer.from("\r\n\r\n");

interface Job {
  payload: string;
  resolve(response: Http1Response): void;
  reject(error: Error): void;
  connection: Connection | null;
  done: boolean;
}

interface Pool {
  key: string;
  maxResponseBytes: number;
  tooLarge: () => Error;
  target: Http1Target;
  idle: Connection[];
  open: number;
  waiting: Job[];
}

type Framing = { kind: "length"; remaining: number } | { kind: "chunked"; expecting: "size" | "data" | "data-end" | "trailers"; remaining: number } | { kind: "until-close" } | { kind: "none" };

class Connection {
  readonly socket: Socket;
  job: Job | null = null;
  idleSince = 0;
  closed = false;
  private buffered: Buffer | null = null;
  /** Bytes read for the current response. */
  private received = 0;
  private headersDone = false;
  private status = 0;
  private statusText = "";
  private headers: Record<string, string> = {};
  private framing: Framing = { kind: "none" };
  private body: Buffer[] = [];
  private keepAlive = true;

  constructor(
    readonly pool: Pool,
    private readonly onFree: (connection: Connection) => void,
    private readonly onClose: (connection: Connection) => void,
  ) {
    this.socket = connect({ host: pool.target.hostname, port: pool.target.port });
    this.socket.setNoDelay(true);
    this.socket.on("data", (chunk: Buffer) => this.read(chunk));
    this.socket.on("error", (error) => this.fail(error));
    this.socket.on("end", () => {
      if (this.job && this.headersDone && this.framing.kind === "until-close") this.finish();
      else this.fail(new Error("subgraph closed the connection"));
    });
    this.socket.on("close", () => {
      this.closed = true;
      this.fail(new Error("subgraph closed the connection"));
      this.onClose(this);
    });
  }

  send(job: Job): void {
    this.job = job;
    job.connection = this;
    this.buffered = null;
    this.received = 0;
    this.headersDone = false;
    this.headers = {};
    this.body = [];
    this.keepAlive = true;
    this.socket.ref();
    this.socket.write(job.payload);
  }

  abort(error: Error): void {
    this.socket.destroy(error);
  }

  private fail(error: Error): void {
    const job = this.job;
    if (!job) return;
    this.job = null;
    job.connection = null;
    if (!this.closed) this.socket.destroy();
    if (!job.done) {
      job.done = true;
      job.reject(error);
    }
  }

  private read(chunk: Buffer): void {
    if (!this.job) {
      // Nothing was asked: a server speaking out of turn is not trusted with the next request.
      this.socket.destroy();
      return;
    }
    this.received += chunk.length;
    if (this.received > this.pool.maxResponseBytes) return this.fail(this.pool.tooLarge());
    let data = this.buffered ? Buffer.concat([this.buffered, chunk]) : chunk;
    this.buffered = null;
    if (!this.headersDone) {
      const end = data.indexOf(HEADERS_END);
      if (end < 0) {
        if (data.length > 64 * 1024) return this.fail(new Error("subgraph response headers too large"));
        this.buffered = data;
        return;
      }
      if (!this.parseHead(data.toString("latin1", 0, end))) return this.fail(new Error("malformed subgraph response head"));
      data = data.subarray(end + 4);
      // A declared length over the limit is refused before any of the body is kept.
      if (this.framing.kind === "length" && end + 4 + this.framing.remaining > this.pool.maxResponseBytes) return this.fail(this.pool.tooLarge());
    }
    this.readBody(data);
  }

  private parseHead(head: string): boolean {
    // "HTTP/1.x NNN text", then "name: value" lines.
    let lineEnd = head.indexOf("\r\n");
    if (lineEnd < 0) lineEnd = head.length;
    if (!head.startsWith("HTTP/1.") || head[8] !== " " || (head[7] !== "0" && head[7] !== "1")) return false;
    const status = Number(head.slice(9, 12));
    if (!Number.isInteger(status) || status < 100 || (lineEnd > 12 && head[12] !== " ")) return false;
    this.status = status;
    this.statusText = lineEnd > 13 ? head.slice(13, lineEnd) : "";
    const headers: Record<string, string> = {};
    let start = lineEnd + 2;
    while (start < head.length) {
      let end = head.indexOf("\r\n", start);
      if (end < 0) end = head.length;
      const colon = head.indexOf(":", start);
      if (colon <= start || colon > end) return false;
      const name = head.slice(start, colon).trim().toLowerCase();
      const value = head.slice(colon + 1, end).trim();
      headers[name] = headers[name] === undefined ? value : `${headers[name]}, ${value}`;
      start = end + 2;
    }
    const http10 = head[7] === "0";
    this.headers = headers;
    this.headersDone = true;
    const connection = headers.connection?.toLowerCase();
    this.keepAlive = http10 ? connection === "keep-alive" : connection !== "close";
    if (this.status === 204 || this.status === 304 || (this.status >= 100 && this.status < 200)) {
      if (this.status < 200) return false; // no 100-continue is asked for
      this.framing = { kind: "none" };
    } else if (headers["transfer-encoding"] !== undefined) {
      if (!/(^|,)\s*chunked\s*$/i.test(headers["transfer-encoding"])) return false;
      this.framing = { kind: "chunked", expecting: "size", remaining: 0 };
    } else if (headers["content-length"] !== undefined) {
      if (!/^\d+$/.test(headers["content-length"])) return false;
      this.framing = { kind: "length", remaining: Number(headers["content-length"]) };
    } else {
      this.framing = { kind: "until-close" };
      this.keepAlive = false;
    }
    return true;
  }

  private readBody(data: Buffer): void {
    const framing = this.framing;
    if (framing.kind === "none") {
      if (data.length > 0) return this.fail(new Error("bytes after the subgraph's response"));
      return this.finish();
    }
    if (framing.kind === "until-close") {
      if (data.length > 0) this.body.push(data);
      return;
    }
    if (framing.kind === "length") {
      if (data.length > framing.remaining) return this.fail(new Error("bytes after the subgraph's response"));
      if (data.length > 0) this.body.push(data);
      framing.remaining -= data.length;
      if (framing.remaining === 0) this.finish();
      return;
    }
    let offset = 0;
    while (offset < data.length || framing.expecting === "trailers") {
      if (framing.expecting === "data") {
        const take = Math.min(framing.remaining, data.length - offset);
        this.body.push(data.subarray(offset, offset + take));
        offset += take;
        framing.remaining -= take;
        if (framing.remaining > 0) return;
        framing.expecting = "data-end";
        continue;
      }
      const lineEnd = data.indexOf(CRLF, offset);
      if (lineEnd < 0) {
        this.buffered = data.subarray(offset);
        if (this.buffered.length > 4096) return this.fail(new Error("malformed chunked subgraph response"));
        return;
      }
      const line = data.toString("latin1", offset, lineEnd);
      offset = lineEnd + 2;
      if (framing.expecting === "data-end") {
        if (line !== "") return this.fail(new Error("malformed chunked subgraph response"));
        framing.expecting = "size";
      } else if (framing.expecting === "size") {
        const digits = line.split(";", 1)[0]!.trim();
        if (!CHUNK_SIZE.test(digits)) return this.fail(new Error("malformed chunked subgraph response"));
        const size = Number.parseInt(digits, 16);
        if (size > this.pool.maxResponseBytes) return this.fail(this.pool.tooLarge());
        if (size === 0) framing.expecting = "trailers";
        else {
          framing.expecting = "data";
          framing.remaining = size;
        }
      } else if (line === "") {
        // The empty line after the last chunk's trailers: the response is complete.
        if (offset !== data.length) return this.fail(new Error("bytes after the subgraph's response"));
        return this.finish();
      }
    }
  }

  private finish(): void {
    const job = this.job!;
    this.job = null;
    job.connection = null;
    const body = this.body.length === 1 ? this.body[0]!.toString("utf8") : Buffer.concat(this.body).toString("utf8");
    const response: Http1Response = { status: this.status, statusText: this.statusText, headers: this.headers, body };
    if (this.keepAlive) {
      this.idleSince = Date.now();
      this.socket.unref();
      this.onFree(this);
    } else {
      this.socket.end();
    }
    if (!job.done) {
      job.done = true;
      job.resolve(response);
    }
  }
}

export function createHttp1ConnectionPool(options: Http1PoolOptions = {}): Http1ConnectionPool {
  const maxSockets = options.maxSockets ?? 256;
  const idleMs = options.idleMs ?? 30_000;
  const maxResponseBytes = options.maxResponseBytes ?? 32 * 1_048_576;
  const tooLarge = options.tooLarge ?? (() => new Error(`subgraph response larger than ${maxResponseBytes} bytes`));
  const pools = new Map<string, Pool>();

  const free = (connection: Connection) => {
    const pool = connection.pool;
    const next = pool.waiting.shift();
    if (next) connection.send(next);
    else pool.idle.push(connection);
  };
  const closed = (connection: Connection) => {
    const pool = connection.pool;
    pool.open -= 1;
    const index = pool.idle.indexOf(connection);
    if (index >= 0) pool.idle.splice(index, 1);
    // A waiting request gets the connection slot this one freed.
    const next = pool.waiting.shift();
    if (next) start(pool, next);
  };
  const start = (pool: Pool, job: Job) => {
    const now = Date.now();
    while (pool.idle.length > 0) {
      const connection = pool.idle.pop()!;
      if (connection.closed) continue;
      if (now - connection.idleSince > idleMs) {
        connection.socket.destroy();
        continue;
      }
      connection.send(job);
      return;
    }
    if (pool.open < maxSockets) {
      pool.open += 1;
      new Connection(pool, free, closed).send(job);
      return;
    }
    pool.waiting.push(job);
  };

  return {
    post(target, headers, body, onAbortable) {
      const key = `${target.hostname}:${target.port}`;
      let pool = pools.get(key);
      if (!pool) {
        pool = { key, maxResponseBytes, tooLarge, target, idle: [], open: 0, waiting: [] };
        pools.set(key, pool);
      }
      let payload = `POST ${target.path} HTTP/1.1\r\nhost: ${target.host}\r\nconnection: keep-alive\r\ncontent-length: ${Buffer.byteLength(body)}\r\n`;
      for (const name in headers) {
        const value = String(headers[name]);
        if (UNSAFE_HEADER.test(name) || UNSAFE_HEADER.test(value)) return Promise.reject(new Error(`unsafe header ${JSON.stringify(name)}`));
        payload += `${name}: ${value}\r\n`;
      }
      payload += `\r\n${body}`;
      const thePool = pool;
      return new Promise<Http1Response>((resolve, reject) => {
        const job: Job = { payload, resolve, reject, connection: null, done: false };
        onAbortable((error) => {
          if (job.done) return;
          if (job.connection) return job.connection.abort(error);
          const index = thePool.waiting.indexOf(job);
          if (index >= 0) thePool.waiting.splice(index, 1);
          job.done = true;
          reject(error);
        });
        start(thePool, job);
      });
    },
    close() {
      for (const pool of pools.values()) {
        for (const connection of pool.idle) connection.socket.destroy();
        pool.idle.length = 0;
      }
    },
  };
}
