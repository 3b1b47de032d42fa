/**
 * The subgraph fetcher's own HTTP/1.1 client against a real node:http server:
 * both framings, multi-byte text split across packets, connections reused,
 * the pool's limit, a server that closes or hangs, headers that would
 * split the request, and answers larger than the gateway reads.
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import { createServer as createTcpServer, type AddressInfo } from "node:net";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { readGatewayConfig } from "../../gateway/config.ts";
import { createSubgraphFetcher, SubgraphDeadlineError, SubgraphResponseTooLargeError } from "../../gateway/subgraphs/createSubgraphFetcher.ts";

let server: Server;
let base: string;
const seenPorts: number[] = [];
const received: Array<{ headers: IncomingMessage["headers"]; body: string }> = [];

function handle(request: IncomingMessage, response: ServerResponse) {
  const chunks: Buffer[] = [];
  request.on("data", (chunk: Buffer) => chunks.push(chunk));
  request.on("end", () => {
    seenPorts.push(request.socket.remotePort!);
    received.push({ headers: request.headers, body: Buffer.concat(chunks).toString("utf8") });
    const body = Buffer.concat(chunks).toString("utf8");
    switch (request.url) {
      case "/length":
        response.setHeader("content-type", "application/json");
        response.end(JSON.stringify({ echo: body }));
        return;
      case "/chunked": {
        // "身份证" split inside a character, across chunks written apart.
        const bytes = Buffer.from(JSON.stringify({ text: "身份证 ".repeat(2000) }));
        response.setHeader("content-type", "application/json");
        response.write(bytes.subarray(0, 7));
        setTimeout(() => {
          response.write(bytes.subarray(7, 5001));
          setTimeout(() => response.end(bytes.subarray(5001)), 5);
        }, 5);
        return;
      }
      case "/close":
        response.setHeader("connection", "close");
        response.end("closing");
        return;
      case "/status":
        response.statusCode = 400;
        response.statusMessage = "Bad Request";
        response.setHeader("cache-control", "max-age=5, private");
        response.end('{"errors":[{"message":"no"}]}');
        return;
      case "/destroy":
        request.socket.destroy();
        return;
      case "/hang":
        return;
      case "/big": {
        // 300 kB declared up front.
        const big = JSON.stringify({ text: "x".repeat(300_000) });
        response.setHeader("content-length", Buffer.byteLength(big));
        response.end(big);
        return;
      }
      case "/endless": {
        // Chunks for as long as the client keeps the connection (the framing never ends).
        response.setHeader("content-type", "application/json");
        const more = () => {
          if (response.destroyed || request.socket.destroyed) return;
          if (response.write("x".repeat(16_384))) setImmediate(more);
          else response.once("drain", more);
        };
        more();
        return;
      }
      case "/slow":
        setTimeout(() => response.end("slow"), 30);
        return;
      default:
        response.statusCode = 404;
        response.end();
    }
  });
}

beforeAll(async () => {
  server = createServer(handle);
  server.keepAliveTimeout = 65_000;
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});

afterAll(async () => {
  server.closeAllConnections();
  await new Promise((resolve) => server.close(resolve));
});

describe("the subgraph fetcher", () => {
  const fetcher = createSubgraphFetcher({ timeoutMs: 1_000 });

  it("sends the body and headers and reads a Content-Length answer", async () => {
    const body = JSON.stringify({ query: "{ a }", variables: { name: "王芳" } });
    const response = await fetcher(`${base}/length`, { "content-type": "application/json", authorization: "Bearer x" }, body);
    expect(response.status).toBe(200);
    expect(response.headers["content-type"]).toBe("application/json");
    expect(JSON.parse(response.body)).toEqual({ echo: body });
    const last = received.at(-1)!;
    expect(last.headers.authorization).toBe("Bearer x");
    expect(last.headers["content-length"]).toBe(String(Buffer.byteLength(body)));
  });

  it("reads a chunked answer whose characters are split across packets", async () => {
    const response = await fetcher(`${base}/chunked`, {}, "{}");
    expect(JSON.parse(response.body).text).toBe("身份证 ".repeat(2000));
  });

  it("reuses one connection for requests one after another", async () => {
    const before = seenPorts.length;
    for (let i = 0; i < 5; i++) await fetcher(`${base}/length`, {}, String(i));
    expect(new Set(seenPorts.slice(before)).size).toBe(1);
  });

  it("passes on a refusal's status, text and headers", async () => {
    const response = await fetcher(`${base}/status`, {}, "{}");
    expect(response.status).toBe(400);
    expect(response.statusText).toBe("Bad Request");
    expect(response.headers["cache-control"]).toBe("max-age=5, private");
    expect(JSON.parse(response.body).errors).toHaveLength(1);
  });

  it("opens a new connection after the server said connection: close", async () => {
    const closing = await fetcher(`${base}/close`, {}, "{}");
    expect(closing.body).toBe("closing");
    const after = await fetcher(`${base}/length`, {}, "after");
    expect(JSON.parse(after.body)).toEqual({ echo: "after" });
  });

  it("fails a request whose connection the server drops, and the next one still works", async () => {
    await expect(fetcher(`${base}/destroy`, {}, "{}")).rejects.toThrow();
    expect(JSON.parse((await fetcher(`${base}/length`, {}, "next")).body)).toEqual({ echo: "next" });
  });

  it("gives up at the deadline with SubgraphDeadlineError", async () => {
    const quick = createSubgraphFetcher({ timeoutMs: 100 });
    await expect(quick(`${base}/hang`, {}, "{}")).rejects.toBeInstanceOf(SubgraphDeadlineError);
    expect(JSON.parse((await quick(`${base}/length`, {}, "again")).body)).toEqual({ echo: "again" });
  });

  it("queues requests beyond its connections and answers all of them", async () => {
    const one = createSubgraphFetcher({ timeoutMs: 2_000, maxSockets: 1 });
    const before = seenPorts.length;
    const answers = await Promise.all(Array.from({ length: 6 }, () => one(`${base}/slow`, {}, "{}")));
    expect(answers.map((answer) => answer.body)).toEqual(Array(6).fill("slow"));
    expect(new Set(seenPorts.slice(before)).size).toBe(1);
  });

  it("times out a request still waiting for a connection", async () => {
    const one = createSubgraphFetcher({ timeoutMs: 150, maxSockets: 1 });
    const hanging = one(`${base}/hang`, {}, "{}");
    const waiting = one(`${base}/length`, {}, "{}");
    await expect(hanging).rejects.toBeInstanceOf(SubgraphDeadlineError);
    await expect(waiting).rejects.toBeInstanceOf(SubgraphDeadlineError);
  });

  it("reads an answer framed by the connection's end, and refuses one that is not HTTP", async () => {
    const answers = ["HTTP/1.0 200 OK\r\ncontent-type: text/plain\r\n\r\nuntil the end", "garbage\r\n\r\n"];
    let next = 0;
    const raw = createTcpServer((socket) => socket.once("data", () => socket.end(answers[next++]!)));
    await new Promise<void>((resolve) => raw.listen(0, "127.0.0.1", resolve));
    const url = `http://127.0.0.1:${(raw.address() as AddressInfo).port}/`;
    try {
      const response = await fetcher(url, {}, "{}");
      expect(response).toMatchObject({ status: 200, statusText: "OK", body: "until the end" });
      expect(response.headers["content-type"]).toBe("text/plain");
      await expect(fetcher(url, {}, "{}")).rejects.toThrow(/malformed/);
    } finally {
      raw.close();
    }
  });

  it("refuses a header value that would split the request", async () => {
    await expect(fetcher(`${base}/length`, { "x-request-id": "a\r\nx-evil: 1" }, "{}")).rejects.toThrow(/unsafe header/);
  });

  it("refuses an answer larger than its limit, whatever its framing, and keeps serving", async () => {
    const small = createSubgraphFetcher({ timeoutMs: 5_000, maxResponseBytes: 65_536 });
    // Declared with Content-Length: refused from the head, before the body is kept.
    await expect(small(`${base}/big`, {}, "{}")).rejects.toBeInstanceOf(SubgraphResponseTooLargeError);
    // Chunked without end: refused once the limit is read, long before the deadline.
    await expect(small(`${base}/endless`, {}, "{}")).rejects.toBeInstanceOf(SubgraphResponseTooLargeError);
    // Framed by the connection's end, from a raw server that never stops.
    const raw = createTcpServer((socket) =>
      socket.once("data", () => {
        socket.write("HTTP/1.0 200 OK\r\n\r\n");
        const more = () => {
          if (!socket.destroyed && socket.write("y".repeat(16_384))) setImmediate(more);
          else if (!socket.destroyed) socket.once("drain", more);
        };
        socket.on("error", () => {});
        more();
      }),
    );
    await new Promise<void>((resolve) => raw.listen(0, "127.0.0.1", resolve));
    try {
      await expect(small(`http://127.0.0.1:${(raw.address() as AddressInfo).port}/`, {}, "{}")).rejects.toBeInstanceOf(SubgraphResponseTooLargeError);
    } finally {
      raw.close();
    }
    // The same client still answers within its limit; the default limit reads the 300 kB answer.
    expect(JSON.parse((await small(`${base}/length`, {}, "fits")).body)).toEqual({ echo: "fits" });
    expect(JSON.parse((await fetcher(`${base}/big`, {}, "{}")).body).text).toHaveLength(300_000);
  });

  it("refuses a chunk size that is not hex digits", async () => {
    const raw = createTcpServer((socket) => socket.once("data", () => socket.end("HTTP/1.1 200 OK\r\ntransfer-encoding: chunked\r\n\r\n1g\r\nx\r\n0\r\n\r\n")));
    await new Promise<void>((resolve) => raw.listen(0, "127.0.0.1", resolve));
    try {
      await expect(fetcher(`http://127.0.0.1:${(raw.address() as AddressInfo).port}/`, {}, "{}")).rejects.toThrow(/malformed chunked/);
    } finally {
      raw.close();
    }
  });

  it("takes its limit from SUBGRAPH_MAX_RESPONSE_BYTES, read once with the gateway's config", () => {
    expect(readGatewayConfig({}).subgraphMaxResponseBytes).toBe(32 * 1_048_576);
    expect(readGatewayConfig({ SUBGRAPH_MAX_RESPONSE_BYTES: "1048576" }).subgraphMaxResponseBytes).toBe(1_048_576);
    expect(() => readGatewayConfig({ SUBGRAPH_MAX_RESPONSE_BYTES: "lots" })).toThrow(/SUBGRAPH_MAX_RESPONSE_BYTES/);
    expect(() => readGatewayConfig({ SUBGRAPH_MAX_RESPONSE_BYTES: "10" })).toThrow(/SUBGRAPH_MAX_RESPONSE_BYTES/);
  });
});
