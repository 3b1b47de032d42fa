/**
 * Issue 9, done-when: after the attacks of this issue (bisection by aliases,
 * the budget, every pre-pipeline refusal, a header flood, bad variables, an
 * unauthenticated flood, long-lived and doubled tokens, client mistakes),
 * `npm run audit -- verify` passes on the gateway's database, run as an
 * operator runs it, in a child process once the gateway has stopped.
 */
import { mkdtempSync } from "node:fs";
import { connect } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { startSystem, type System } from "../support/startSystem.ts";
import { runAuditCli, unusedPort } from "../support/runAuditCli.ts";
import { LI_WEI, send, token } from "./support/hostile.ts";

let system: System | undefined;

afterAll(async () => {
  await system?.stop().catch(() => {});
});

function rawHttp(url: URL, raw: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const socket = connect({ host: url.hostname, port: Number(url.port) });
    let received = "";
    socket.setEncoding("utf8");
    socket.on("data", (chunk) => (received += chunk));
    socket.on("error", reject);
    socket.on("close", () => resolve(received));
    socket.write(raw);
  });
}

describe("npm run audit -- verify after the attacks of issue 9", () => {
  it("exits 0: the chain holds every refusal and every limited verification", async () => {
    const dataDir = mkdtempSync(join(tmpdir(), "audit-after-attacks-"));
    system = await startSystem({
      suite: "security-audit-after",
      gateway: { auditDatabase: { kind: "pglite", dataDir: join(dataDir, "gateway") }, unauthenticatedRateLimit: { perSecond: 0.01, burst: 3 } },
    });
    const url = system.gatewayUrl;
    const app = await token(system, { subject: "app:attacker", scopes: ["tax:verify", "civil-affairs:marriage"] });
    const query = `{ citizen(id: "${LI_WEI}") { name } }`;
    const aliases = Array.from({ length: 29 }, (_, i) => `t${i}: incomeAtLeast(year: 2025, amount: "${(i + 1) * 10_000}.00")`).join(" ");
    const statuses: number[] = [];
    const attacks: Array<() => Promise<number>> = [
      async () => (await send(url, `{ citizen(id: "${LI_WEI}") { ${aliases} } }`, { token: app })).status,
      ...["100000.00", "150000.00", "200000.00", "186000.00", "185000.00"].map(
        (amount) => async () => (await send(url, `{ citizen(id: "${LI_WEI}") { incomeAtLeast(year: 2025, amount: "${amount}") } }`, { token: app })).status,
      ),
      async () => (await send(url, `{ citizen(id: "${LI_WEI}") { spouse { incomeAtLeast(year: 2025, amount: "1.00") } } }`, { token: app })).status,
      async () => (await send(url, undefined, { token: app, body: JSON.stringify({ query }), headers: { "content-type": "text/plain" } })).status,
      async () => (await send(url, undefined, { token: app, body: JSON.stringify([{ query }, { query }]) })).status,
      async () => (await send(url, undefined, { token: app, method: "GET", search: { query } })).status,
      async () => (await send(url, undefined, { token: app, method: "PUT", body: JSON.stringify({ query }) })).status,
      async () => (await send(url, undefined, { token: app, body: JSON.stringify({ query, operationName: 1 }) })).status,
      async () => (await send(url, undefined, { token: app, body: JSON.stringify({ query: "{" }) })).status,
      async () => (await send(url, undefined, { token: app, body: JSON.stringify({ query: "mutation { x }" }) })).status,
      async () => (await send(url, undefined, { token: app, body: JSON.stringify({ query: "query A { __typename } query B { __typename }" }) })).status,
      async () =>
        (await send(url, `query($m: Money!) { citizen(id: "${LI_WEI}") { incomeAtLeast(year: 2025, amount: $m) } }`, { token: app, variables: { m: "<script>" } })).status,
      async () => (await send(url, query, { token: await token(system!, { ttlSeconds: 10 * 365 * 86_400 }) })).status,
      async () => (await send(new URL("/subgraphs/audit/graphql", url).toString(), "{ auditChain { ok } }", { token: app })).status,
      async () => {
        const answer = await rawHttp(new URL(url), `POST /graphql HTTP/1.1\r\nhost: x\r\nx-pad: ${"a".repeat(64 * 1024)}\r\ncontent-length: 2\r\n\r\n{}`);
        return Number(/^HTTP\/1\.1 (\d{3})/.exec(answer)?.[1]);
      },
      ...Array.from({ length: 8 }, () => async () => (await send(url, query, {})).status),
    ];
    for (const attack of attacks) statuses.push(await attack());
    expect(statuses.filter((s) => s >= 500)).toEqual([]);
    expect(statuses).toContain(429);
    expect(statuses).toContain(431);
    await system.stop();
    const stopped = system;
    system = undefined;

    const run = await runAuditCli(["verify", "--jwks", stopped.keys.gatewayJwks], {
      DATABASE_URL: undefined,
      GATEWAY_DATABASE_URL: undefined,
      DATA_DIR: dataDir,
      AUDIT_PSEUDONYM_KEY: stopped.keys.auditPseudonymKey,
      AUDIT_HEADS: join(stopped.workDir, "audit-heads.jsonl"),
      PORT: String(await unusedPort()),
    });
    expect(run.code, `${run.stdout}\n${run.stderr}`).toBe(0);
  }, 600_000);
});
