/**
 * An agency behind a slow link: an HTTP proxy on loopback that forwards every
 * request to `target` after `delayMs` (changeable while it runs) and counts
 * the requests that have reached it. Tests use it to hold requests in flight
 * at the gateway, e.g. while the gateway is told to stop.
 */
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";

export interface DelayingProxy {
  /** Where to point the gateway instead of `target` (same path). */
  url: string;
  /** Milliseconds each request waits before it is forwarded. */
  delayMs: number;
  /** Requests received so far. */
  received(): number;
  stop(): Promise<void>;
}

export async function startDelayingProxy(target: string, delayMs = 0): Promise<DelayingProxy> {
  let received = 0;
  const proxy: DelayingProxy = {
    url: "",
    delayMs,
    received: () => received,
    stop: () => new Promise((resolve) => {
      server.closeAllConnections();
      server.close(() => resolve());
    }),
  };
  const server: Server = createServer(async (request, response) => {
    received++;
    const chunks: Buffer[] = [];
    for await (const chunk of request) chunks.push(chunk as Buffer);
    await new Promise((resolve) => setTimeout(resolve, proxy.delayMs));
    const headers: Record<string, string> = {};
    for (const [name, value] of Object.entries(request.headers)) {
      if (typeof value === "string" && !["host", "connection", "content-length", "keep-alive"].includes(name)) headers[name] = value;
    }
    try {
      const upstream = await fetch(new URL(request.url ?? "/", target), {
        method: request.method,
        headers,
        body: chunks.length ? Buffer.concat(chunks) : undefined,
      });
      const body = Buffer.from(await upstream.arrayBuffer());
      response.writeHead(upstream.status, { "content-type": upstream.headers.get("content-type") ?? "application/json" });
      response.end(body);
    } catch {
      response.writeHead(502).end();
    }
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const origin = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  proxy.url = new URL(new URL(target).pathname, origin).toString();
  return proxy;
}
