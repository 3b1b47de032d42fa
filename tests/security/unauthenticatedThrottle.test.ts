/**
 * Issue 9, item 3: requests without a valid token are throttled per client
 * address (a token bucket) before they cost more than a refusal: over it,
 * 429 with Retry-After, and each refusal still leaves its audit record. The
 * address comes from X-Forwarded-For only when the peer is a trusted proxy.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { RunningGateway } from "../../gateway/createGateway.ts";
import { grantTestApps, startSystem, type System } from "../support/startSystem.ts";
import { LI_WEI, send, startExtraGateway, token } from "./support/hostile.ts";

let system: System;

beforeAll(async () => {
  system = await startSystem({ suite: "security-throttle" });
});

afterAll(async () => {
  await system?.stop();
});

const QUERY = `{ citizen(id: "${LI_WEI}") { name } }`;
/** Five at once, then one per 100 s: no refill during a test, however slow the machine. */
const TIGHT = { perSecond: 0.01, burst: 5 };

async function recordCount(gateway: RunningGateway): Promise<number> {
  await gateway.audit.writer.drain();
  return gateway.audit.database.prisma.auditRecord.count();
}

async function flood(url: string, count: number, headers: Record<string, string> = {}, bearer = "") {
  const statuses: number[] = [];
  const retryAfter: Array<string | null> = [];
  for (let i = 0; i < count; i++) {
    const result = await send(url, QUERY, { token: bearer, headers });
    statuses.push(result.status);
    retryAfter.push(result.headers.get("retry-after"));
  }
  return { statuses, retryAfter };
}

describe("unauthenticated floods are throttled per address (issue 9, item 3)", () => {
  it("past the burst, requests without a token get 429 with Retry-After; every one is recorded", async () => {
    const gateway = await startExtraGateway(system, { unauthenticatedRateLimit: TIGHT });
    try {
      const before = await recordCount(gateway);
      const { statuses, retryAfter } = await flood(gateway.url, 30);
      expect(statuses).toEqual([...Array(5).fill(401), ...Array(25).fill(429)]);
      const throttled = 25;
      statuses.forEach((s, i) => {
        if (s === 429) expect(Number(retryAfter[i])).toBeGreaterThanOrEqual(1);
      });
      expect(await recordCount(gateway)).toBe(before + 30);
      const rejected = await gateway.audit.database.prisma.auditRecord.count({ where: { errorCodes: { has: "RATE_LIMITED" }, app: null } });
      expect(rejected).toBe(throttled);
    } finally {
      await gateway.stop();
    }
  });

  it("a forged or expired token counts as no token; a valid token from the same address is served", async () => {
    const gateway = await startExtraGateway(system, { unauthenticatedRateLimit: TIGHT });
    try {
      const forged = (await token(system)).replace(/\.[^.]+$/, ".AAAA");
      const { statuses } = await flood(gateway.url, 12, {}, forged);
      expect(statuses).toContain(429);
      // This gateway keeps its own grants: the app is granted here as on the suite's gateway.
      await grantTestApps({ gatewayUrl: gateway.url, issuerKey: system.issuerKey }, [{ app: "app:hostile-input", purpose: "SECURITY_TEST" }]);
      const good = await send(gateway.url, QUERY, { token: await token(system) });
      expect(good.status).toBe(200);
      expect(good.body.data.citizen.name).toBe("李伟");
    } finally {
      await gateway.stop();
    }
  });

  it("behind a trusted proxy, X-Forwarded-For names the client: two clients have two buckets, and the record names the client", async () => {
    const gateway = await startExtraGateway(system, { unauthenticatedRateLimit: TIGHT, trustedProxies: ["127.0.0.1"] });
    try {
      const first = await flood(gateway.url, 12, { "x-forwarded-for": "203.0.113.7" });
      expect(first.statuses).toContain(429);
      const second = await send(gateway.url, QUERY, { headers: { "x-forwarded-for": "203.0.113.8" } });
      expect(second.status).toBe(401);
      await gateway.audit.writer.drain();
      const addresses = await gateway.audit.database.prisma.auditRecord.findMany({ select: { clientAddress: true } });
      expect(addresses.filter((a) => a.clientAddress === "203.0.113.7")).toHaveLength(12);
      expect(addresses.filter((a) => a.clientAddress === "203.0.113.8")).toHaveLength(1);
    } finally {
      await gateway.stop();
    }
  });

  it("without a trusted proxy, X-Forwarded-For is ignored: changing it does not escape the bucket", async () => {
    const gateway = await startExtraGateway(system, { unauthenticatedRateLimit: TIGHT });
    try {
      const statuses: number[] = [];
      for (let i = 0; i < 15; i++) statuses.push((await send(gateway.url, QUERY, { headers: { "x-forwarded-for": `198.51.100.${i}` } })).status);
      expect(statuses).toContain(429);
      await gateway.audit.writer.drain();
      const forwarded = await gateway.audit.database.prisma.auditRecord.count({ where: { clientAddress: { startsWith: "198.51.100." } } });
      expect(forwarded).toBe(0);
    } finally {
      await gateway.stop();
    }
  });
});
