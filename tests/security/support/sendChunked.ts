/**
 * Sends a JSON POST body of about `bytes` in chunks, without Content-Length,
 * on its own connection (closed afterwards), so that a server that stops
 * reading cannot leave a half-sent request in a shared connection pool.
 */
import { request } from "node:http";

export function sendChunked(url: string, token: string, bytes: number): Promise<{ status: number; text: string }> {
  return new Promise((resolve, reject) => {
    const req = request(url, {
      method: "POST",
      agent: false,
      headers: { "content-type": "application/json", authorization: `Bearer ${token}`, connection: "close", "transfer-encoding": "chunked" },
    });
    req.on("response", (response) => {
      const chunks: Buffer[] = [];
      response.on("data", (c: Buffer) => chunks.push(c));
      response.on("end", () => {
        resolve({ status: response.statusCode ?? 0, text: Buffer.concat(chunks).toString("utf8") });
        req.destroy();
      });
    });
    req.on("error", (error) => reject(error));
    const piece = "x".repeat(64 * 1024);
    let sent = 0;
    req.write(`{"query":"{ __typename }","variables":{"pad":"`);
    const pump = () => {
      while (sent < bytes) {
        sent += piece.length;
        if (req.destroyed) return;
        if (!req.write(piece)) return void req.once("drain", pump);
      }
      req.end(`"}}`);
    };
    pump();
  });
}
