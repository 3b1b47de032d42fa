/**
 * Issue 9, item 1: "usable but not visible" (可用不可见) holds against a
 * determined app. A verification field is evaluated at most once per citizen
 * per request (VERIFICATION_LIMIT), each (app, citizen, field) has a budget
 * of distinct arguments per window (VERIFICATION_BUDGET) that survives a
 * restart and is shared through Redis, and the audit record keeps the app's
 * arguments, never the answer.
 */
import { randomUUID } from "node:crypto";
import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { grantTestApps, startSystem, type System } from "../support/startSystem.ts";
import { LI_WEI, WANG_FANG, listening, send, startExtraGateway, token, type HttpResult } from "./support/hostile.ts";
import { recordsOfToken } from "./support/records.ts";

const REDIS_URL = process.env.REDIS_URL ?? "redis://127.0.0.1:6379";
const redisUp = await listening(new URL(REDIS_URL).hostname, Number(new URL(REDIS_URL).port || 6379));

let system: System;

beforeAll(async () => {
  system = await startSystem({ suite: "security-verification" });
});

afterAll(async () => {
  await system?.stop();
});

const granted = new Set<string>();

/**
 * A token of a fresh app (its own budget) holding only tax:verify, once the app
 * holds the tax bureau's grant of it for SECURITY_TEST on the gateway at `url`
 * (unconditional: granted on applying, through the governance API).
 */
async function taxVerifier(app = `app:verifier-${randomUUID()}`, url = system.gatewayUrl, scopes = ["tax:verify"]): Promise<string> {
  const key = `${url}\n${app}\n${scopes.join(" ")}`;
  if (!granted.has(key)) {
    await grantTestApps({ gatewayUrl: url, issuerKey: system.issuerKey }, [{ app, purpose: "SECURITY_TEST", scopes }]);
    granted.add(key);
  }
  return token(system, { subject: app, scopes });
}

const income = (amount: string, alias = "") => `${alias ? `${alias}: ` : ""}incomeAtLeast(year: 2025, amount: "${amount}")`;

function reasonAt(result: HttpResult, path: Array<string | number>): unknown {
  const error = (result.body.errors ?? []).find((e) => JSON.stringify(e.path) === JSON.stringify(path));
  return error && { code: error.extensions?.code, reason: error.extensions?.reason };
}

describe("within one request (issue 9, item 1)", () => {
  it("29 aliases with different thresholds: the first is answered, every other is null with VERIFICATION_LIMIT", async () => {
    const app = await taxVerifier();
    const aliases = Array.from({ length: 29 }, (_, i) => income(`${(i + 1) * 10_000}.00`, `t${i}`)).join(" ");
    const result = await send(system.gatewayUrl, `{ citizen(id: "${LI_WEI}") { ${aliases} } }`, { token: app });
    expect(result.status).toBe(200);
    const answered = Object.entries(result.body.data.citizen).filter(([, value]) => value !== null);
    expect(answered).toEqual([["t0", true]]);
    for (let i = 1; i < 29; i++) expect(reasonAt(result, ["citizen", `t${i}`])).toEqual({ code: "FORBIDDEN", reason: "VERIFICATION_LIMIT" });
  });

  it("the same arguments under two aliases count once and both are answered", async () => {
    const app = await taxVerifier();
    const result = await send(system.gatewayUrl, `{ citizen(id: "${LI_WEI}") { ${income("150000.00", "a")} ${income("150000.00", "b")} } }`, { token: app });
    expect(result.body.errors).toBeUndefined();
    expect(result.body.data.citizen).toEqual({ a: true, b: true });
  });

  it("the same thresholds through variables and fragments are the same arguments", async () => {
    const app = await taxVerifier();
    const result = await send(
      system.gatewayUrl,
      `query($m: Money!) { citizen(id: "${LI_WEI}") { a: incomeAtLeast(year: 2025, amount: $m) ...F } } fragment F on Citizen { b: incomeAtLeast(year: 2025, amount: "150000.00") c: incomeAtLeast(year: 2025, amount: "150000.01") }`,
      { token: app, variables: { m: "150000.00" } },
    );
    expect(result.body.data.citizen).toEqual({ a: true, b: true, c: null });
    expect(reasonAt(result, ["citizen", "c"])).toEqual({ code: "FORBIDDEN", reason: "VERIFICATION_LIMIT" });
  });

  it("two citizens are two budgets: each answers its own once", async () => {
    const app = await taxVerifier();
    const result = await send(system.gatewayUrl, `{ citizens(ids: ["${LI_WEI}", "${WANG_FANG}"]) { ${income("186000.00")} } }`, { token: app });
    expect(result.body.errors).toBeUndefined();
    expect(result.body.data.citizens).toEqual([{ incomeAtLeast: true }, { incomeAtLeast: false }]);
  });

  it("the same citizen under two root fields with other thresholds: the second is refused", async () => {
    const app = await taxVerifier();
    const result = await send(system.gatewayUrl, `{ a: citizen(id: "${LI_WEI}") { ${income("100000.00")} } b: citizen(id: "${LI_WEI}") { ${income("200000.00")} } }`, { token: app });
    expect(result.body.data).toEqual({ a: { incomeAtLeast: true }, b: { incomeAtLeast: null } });
    expect(reasonAt(result, ["b", "incomeAtLeast"])).toEqual({ code: "FORBIDDEN", reason: "VERIFICATION_LIMIT" });
  });

  it("a verification field under a relation (whose citizen only execution knows) is refused with VERIFICATION_LIMIT", async () => {
    const app = await taxVerifier(undefined, undefined, ["tax:verify", "civil-affairs:marriage"]);
    const result = await send(system.gatewayUrl, `{ citizen(id: "${LI_WEI}") { spouse { ${income("100000.00")} } } }`, { token: app });
    expect(result.body.data.citizen.spouse).toEqual({ incomeAtLeast: null });
    expect(reasonAt(result, ["citizen", "spouse", "incomeAtLeast"])).toEqual({ code: "FORBIDDEN", reason: "VERIFICATION_LIMIT" });
  });

  it("housingFundContributedMonths(atLeast:) is limited the same way", async () => {
    const app = await taxVerifier(undefined, undefined, ["housing-fund:verify"]);
    const aliases = Array.from({ length: 10 }, (_, i) => `m${i}: housingFundContributedMonths(atLeast: ${i * 12})`).join(" ");
    const result = await send(system.gatewayUrl, `{ citizen(id: "${LI_WEI}") { ${aliases} } }`, { token: app });
    expect(Object.values(result.body.data.citizen).filter((v) => v !== null)).toHaveLength(1);
    expect(reasonAt(result, ["citizen", "m9"])).toEqual({ code: "FORBIDDEN", reason: "VERIFICATION_LIMIT" });
  });
});

describe("across requests (issue 9, item 1)", () => {
  it("a fourth distinct threshold for one citizen is VERIFICATION_BUDGET; the first three keep answering; another citizen has its own", async () => {
    const app = `app:verifier-${randomUUID()}`;
    const ask = async (amount: string, id = LI_WEI) =>
      send(system.gatewayUrl, `{ citizen(id: "${id}") { ${income(amount)} } }`, { token: await taxVerifier(app) });
    for (const amount of ["100000.00", "150000.00", "200000.00"]) expect((await ask(amount)).body.errors).toBeUndefined();
    const fourth = await ask("186000.00");
    expect(fourth.body.data.citizen.incomeAtLeast).toBeNull();
    expect(reasonAt(fourth, ["citizen", "incomeAtLeast"])).toEqual({ code: "FORBIDDEN", reason: "VERIFICATION_BUDGET" });
    const again = await ask("150000.00");
    expect(again.body.errors).toBeUndefined();
    expect(again.body.data.citizen.incomeAtLeast).toBe(true);
    expect((await ask("186000.00", WANG_FANG)).body.data.citizen.incomeAtLeast).toBe(false);
  });

  it("bisection: an app with only tax:verify cannot narrow 李伟's income below a bracket of 10,000 in 50 requests", async () => {
    const app = `app:bisector-${randomUUID()}`;
    let low = 0;
    let high = 1_048_576; // the attacker's prior: income in [low, high)
    for (let request = 0; request < 50; request++) {
      // Every request tries the attack that worked before: 29 thresholds across the bracket at once.
      const thresholds = Array.from({ length: 29 }, (_, i) => Math.round(low + ((high - low) * (i + 1)) / 30));
      const aliases = thresholds.map((t, i) => income(`${t}.00`, `t${i}`)).join(" ");
      const result = await send(system.gatewayUrl, `{ citizen(id: "${LI_WEI}") { ${aliases} } }`, { token: await taxVerifier(app) });
      thresholds.forEach((t, i) => {
        const answer = result.body.data?.citizen?.[`t${i}`];
        if (answer === true) low = Math.max(low, t);
        if (answer === false) high = Math.min(high, t);
      });
    }
    expect(low).toBeLessThanOrEqual(186_000);
    expect(high).toBeGreaterThan(186_000);
    expect(high - low).toBeGreaterThanOrEqual(10_000);
  });

  it("the budget survives a restart of the gateway (held in its database)", async () => {
    const dataDir = mkdtempSync(join(tmpdir(), "verify-budget-"));
    const app = `app:verifier-${randomUUID()}`;
    const ask = async (url: string, amount: string) => send(url, `{ citizen(id: "${LI_WEI}") { ${income(amount)} } }`, { token: await taxVerifier(app, url) });
    const first = await startExtraGateway(system, { auditDatabase: { kind: "pglite", dataDir } });
    try {
      for (const amount of ["100000.00", "150000.00", "200000.00"]) expect((await ask(first.url, amount)).body.errors).toBeUndefined();
    } finally {
      await first.stop();
    }
    const second = await startExtraGateway(system, { auditDatabase: { kind: "pglite", dataDir } });
    try {
      expect(reasonAt(await ask(second.url, "186000.00"), ["citizen", "incomeAtLeast"])).toEqual({ code: "FORBIDDEN", reason: "VERIFICATION_BUDGET" });
    } finally {
      await second.stop();
    }
  });

  it.skipIf(!redisUp)("two gateway processes with REDIS_URL share one budget", async () => {
    const app = `app:verifier-${randomUUID()}`;
    const ask = async (url: string, amount: string) => send(url, `{ citizen(id: "${LI_WEI}") { ${income(amount)} } }`, { token: await taxVerifier(app, url) });
    const a = await startExtraGateway(system, { redisUrl: REDIS_URL });
    const b = await startExtraGateway(system, { redisUrl: REDIS_URL });
    try {
      expect((await ask(a.url, "100000.00")).body.errors).toBeUndefined();
      expect((await ask(b.url, "150000.00")).body.errors).toBeUndefined();
      expect((await ask(a.url, "200000.00")).body.errors).toBeUndefined();
      expect(reasonAt(await ask(b.url, "186000.00"), ["citizen", "incomeAtLeast"])).toEqual({ code: "FORBIDDEN", reason: "VERIFICATION_BUDGET" });
    } finally {
      await a.stop();
      await b.stop();
    }
  });
});

describe("the audit record of a verification (issue 9, item 1)", () => {
  it("keeps the app's arguments and each refusal, never the answer", async () => {
    const app = await taxVerifier();
    await send(system.gatewayUrl, `{ citizen(id: "${LI_WEI}") { ${income("186000.00", "a")} ${income("186000.01", "b")} } }`, { token: app });
    const [record] = await recordsOfToken(system, app);
    const uses = record!.verifications as Array<Record<string, unknown>>;
    expect(uses).toHaveLength(2);
    for (const use of uses) expect(Object.keys(use).sort()).toEqual(["arguments", "citizen", "coordinate", "refused"]);
    expect(uses).toContainEqual(expect.objectContaining({ coordinate: "Citizen.incomeAtLeast", arguments: { year: 2025, amount: "186000.00" }, refused: null }));
    expect(uses).toContainEqual(expect.objectContaining({ coordinate: "Citizen.incomeAtLeast", arguments: { year: 2025, amount: "186000.01" }, refused: "VERIFICATION_LIMIT" }));
    // The citizen is a pseudonym, as everywhere in the log.
    expect(record!.citizens).toContain(uses[0]!.citizen);
    expect(JSON.stringify(uses)).not.toContain(LI_WEI);
    expect(JSON.stringify(uses)).not.toMatch(/true|false/);
  });
});
