/**
 * Issue 9, item 7: tokens living longer than MAX_TOKEN_LIFETIME are refused,
 * two Authorization headers are a client error, and the token CLI refuses a
 * zero lifetime and unknown scopes and explains itself with --help.
 */
import { execFile } from "node:child_process";
import { connect } from "node:net";
import { promisify } from "node:util";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startSystem, type System } from "../support/startSystem.ts";
import { LI_WEI, codes, send, token } from "./support/hostile.ts";
import { lastSeq, recordsAfter } from "./support/records.ts";

const run = promisify(execFile);
let system: System;

beforeAll(async () => {
  system = await startSystem({ suite: "security-tokens" });
});

afterAll(async () => {
  await system?.stop();
});

const QUERY = `{ citizen(id: "${LI_WEI}") { name } }`;

describe("token lifetime (issue 9, item 7)", () => {
  it("a ten-year token is refused 401 and recorded", async () => {
    const now = Math.floor(Date.now() / 1000);
    const tenYears = await token(system, { expiresAt: now + 10 * 365 * 86_400 });
    const result = await send(system.gatewayUrl, QUERY, { token: tenYears });
    expect(result.status).toBe(401);
    expect(codes(result)).toEqual(["UNAUTHENTICATED"]);
    expect(result.body.errors![0]!.message).toMatch(/lifetime/);
  });

  it("a token of one hour and one minute is refused; one of exactly an hour is accepted", async () => {
    const longer = await token(system, { ttlSeconds: 3660 });
    expect((await send(system.gatewayUrl, QUERY, { token: longer })).status).toBe(401);
    const hour = await token(system, { ttlSeconds: 3600 });
    const result = await send(system.gatewayUrl, QUERY, { token: hour });
    expect(result.status).toBe(200);
    expect(result.body.data.citizen.name).toBe("李伟");
  });
});

describe("two Authorization headers (issue 9, item 7)", () => {
  it("are 400 BAD_REQUEST, not the first one winning, and leave one record", async () => {
    const good = await token(system, { subject: "app:two-headers" });
    const before = await lastSeq(system);
    const url = new URL(system.gatewayUrl);
    const body = JSON.stringify({ query: QUERY });
    // Written on a raw socket: both headers reach the server as sent.
    const answer = await rawRequest(
      url,
      [
        `POST ${url.pathname} HTTP/1.1`,
        `host: ${url.host}`,
        "content-type: application/json",
        `authorization: Bearer ${good}`,
        "authorization: Bearer other",
        `content-length: ${Buffer.byteLength(body)}`,
        "connection: close",
        "",
        body,
      ].join("\r\n"),
    );
    expect(answer.status, answer.text).toBe(400);
    expect(JSON.parse(answer.text).errors.map((e: { extensions: { code: string } }) => e.extensions.code)).toEqual(["BAD_REQUEST"]);
    expect(answer.text).not.toContain("李伟");
    // Refused before the token was read: the one record names no app.
    const records = await recordsAfter(system, before);
    expect(records).toHaveLength(1);
    expect(records[0]).toMatchObject({ app: null, outcome: "REJECTED", errorCodes: ["BAD_REQUEST"] });
  });
});

describe("metrics are not public (issue 9, item 7)", () => {
  it("no subgraph's public port serves /metrics, with or without an app token", async () => {
    const app = await token(system);
    for (const [name, subgraph] of system.subgraphs) {
      for (const headers of [{}, { authorization: `Bearer ${app}` }] as Array<Record<string, string>>) {
        const response = await fetch(subgraph.url.replace(/\/graphql$/, "/metrics"), { headers });
        const text = await response.text();
        expect(response.status, `${name} /metrics`).not.toBe(200);
        expect(text, name).not.toMatch(/sql_statements_total|_total\b|# TYPE/);
      }
    }
  });

  it("nor does the gateway's public port", async () => {
    const response = await fetch(new URL("/metrics", system.gatewayUrl));
    expect(response.status).not.toBe(200);
    expect(await response.text()).not.toMatch(/# TYPE/);
  });
});

describe("npm run token (issue 9, item 7)", () => {
  // The system's own key folder: the CLI signs with the issuer key this gateway trusts.
  const cli = (...args: string[]) =>
    run("npx", ["tsx", "scripts/token.ts", ...args], { env: { ...process.env, DATA_DIR: system.workDir } }).then(
      ({ stdout, stderr }) => ({ code: 0, stdout, stderr }),
      (error: { code: number; stdout: string; stderr: string }) => ({ code: error.code, stdout: error.stdout, stderr: error.stderr }),
    );

  it("--ttl 0 is refused with a clear message", async () => {
    const result = await cli("--sub", "app:cli", "--purpose", "TEST", "--ttl", "0");
    expect(result.code).not.toBe(0);
    expect(result.stdout).toBe("");
    expect(result.stderr).toMatch(/--ttl/);
  });

  it("a --ttl beyond the gateway's lifetime is refused", async () => {
    const result = await cli("--sub", "app:cli", "--purpose", "TEST", "--ttl", "86400");
    expect(result.code).not.toBe(0);
    expect(result.stderr).toMatch(/--ttl/);
  });

  it("an unknown scope is refused, naming it", async () => {
    const result = await cli("--sub", "app:cli", "--purpose", "TEST", "--scope", "tax:verify tax:everything");
    expect(result.code).not.toBe(0);
    expect(result.stdout).toBe("");
    expect(result.stderr).toContain("tax:everything");
  });

  it("--help prints usage and exits 0", async () => {
    const result = await cli("--help");
    expect(result.code).toBe(0);
    expect(result.stdout).toMatch(/^Usage: /);
    expect(result.stdout).toContain("--scope");
  });

  it("known scopes and a valid ttl give a token the gateway accepts", async () => {
    const result = await cli("--sub", "app:cli", "--purpose", "TEST", "--scope", "civil-affairs:identity", "--ttl", "600");
    expect(result.code).toBe(0);
    const answer = await send(system.gatewayUrl, QUERY, { token: result.stdout.trim() });
    expect(answer.status).toBe(200);
    expect(answer.body.data.citizen.name).toBe("李伟");
  });
});

/** Sends `raw` as is and returns the status and body of the answer. */
function rawRequest(url: URL, raw: string): Promise<{ status: number; text: string }> {
  return new Promise((resolve, reject) => {
    const socket = connect({ host: url.hostname, port: Number(url.port) });
    let received = "";
    socket.setEncoding("utf8");
    socket.on("data", (chunk) => (received += chunk));
    socket.on("error", reject);
    socket.on("end", () => {
      const [head, ...rest] = received.split("\r\n\r\n");
      const status = Number(/^HTTP\/1\.1 (\d{3})/.exec(head ?? "")?.[1]);
      let text = rest.join("\r\n\r\n");
      if (/transfer-encoding: chunked/i.test(head ?? "")) text = text.replace(/^[0-9a-f]+\r\n/i, "").replace(/\r\n0\r\n\r\n$/, "");
      resolve({ status, text });
    });
    socket.write(raw);
  });
}
