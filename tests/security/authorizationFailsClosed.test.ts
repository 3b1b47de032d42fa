/**
 * Issue 9, item 6: authorization never fails open. The authorizer takes its
 * limits from the one config (an operation the guard lets through is always
 * decided), and the gateway refuses to start on a `for: SECURITY` feature it
 * does not enforce.
 */
import { mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { readGatewayConfig } from "../../gateway/config.ts";
import { DEFAULT_OPERATION_LIMITS } from "../../gateway/guard/operationLimits.ts";
import { prepareSupergraphForGateway, UnsupportedSecurityFeatureError } from "../../gateway/supergraph/prepareSupergraphForGateway.ts";
import { grantTestApps, startSystem, type System } from "../support/startSystem.ts";
import { LI_WEI, codes, send, startExtraGateway, token } from "./support/hostile.ts";
import { recordsOfToken } from "./support/records.ts";

let system: System;
const SUPERGRAPH = readFileSync(readGatewayConfig({}).supergraphPath, "utf8");

beforeAll(async () => {
  system = await startSystem({ suite: "security-fails-closed" });
});

afterAll(async () => {
  await system?.stop();
});

describe("the authorizer decides every operation the guard admits (issue 9, item 6)", () => {
  it("with MAX_TOKENS=100000, a 20,050-token operation is filtered and its record names the denied field", async () => {
    const gateway = await startExtraGateway(system, {
      limits: { ...DEFAULT_OPERATION_LIMITS, maxTokens: 100_000, maxFields: 100_000, maxAliases: 100_000, maxCost: 100_000_000 },
      // 6,684 aliases take the agency seconds on a busy machine: this case is about authorization, not the fetch deadline.
      subgraphTimeoutMs: 60_000,
    });
    try {
      // This gateway has its own database: the app's grant is made there, through its API.
      await grantTestApps({ gatewayUrl: gateway.url, issuerKey: system.issuerKey }, [{ app: "app:fails-closed", purpose: "SECURITY_TEST", scopes: ["civil-affairs:identity"] }]);
      const identityOnly = await token(system, { subject: "app:fails-closed", scopes: ["civil-affairs:identity"] });
      // 6,684 aliases of three tokens each: over 20,050 tokens (distinct response names, so validation stays linear).
      const names = Array.from({ length: 6_684 }, (_, i) => `n${i}: name`).join(" ");
      const query = `{ citizen(id: "${LI_WEI}") { ${names} incomeRecord(year: 2025) { totalIncome } } }`;
      const result = await send(gateway.url, query, { token: identityOnly });
      expect(result.status, result.text.slice(0, 300)).toBe(200);
      expect(result.body.data.citizen.n6683).toBe("李伟");
      expect(result.body.data.citizen.incomeRecord).toBeNull();
      expect(codes(result)).toEqual(["FORBIDDEN"]);
      expect(result.text).not.toContain("186000");
      await gateway.audit.writer.drain();
      const [record] = await gateway.audit.database.prisma.auditRecord.findMany({ where: { app: "app:fails-closed" } });
      expect(record!.deniedFields).toContain("Citizen.incomeRecord");
      expect(record!.requestedFields).toContain("Citizen.name");
    } finally {
      await gateway.stop();
    }
  });

  it("an operation over the configured token limit is refused (400 OPERATION_LIMIT_EXCEEDED), never passed on undecided", async () => {
    const app = await token(system, { subject: "app:fails-closed-2", scopes: ["civil-affairs:identity"] });
    const names = Array.from({ length: DEFAULT_OPERATION_LIMITS.maxTokens + 10 }, () => "name").join(" ");
    const result = await send(system.gatewayUrl, `{ citizen(id: "${LI_WEI}") { ${names} incomeRecord(year: 2025) { totalIncome } } }`, { token: app });
    expect(result.status).toBe(400);
    expect(codes(result)).toEqual(["OPERATION_LIMIT_EXCEEDED"]);
    expect(result.body.data ?? null).toBeNull();
    const [record] = await recordsOfToken(system, app);
    expect(record!.subgraphs).toEqual([]);
  });
});

describe("security features at start-up (issue 9, item 6)", () => {
  it("for: SECURITY is stripped from the authenticated and requiresScopes links only", () => {
    const prepared = prepareSupergraphForGateway(SUPERGRAPH);
    expect(prepared).toContain('@link(url: "https://specs.apollo.dev/requiresScopes/v0.1")');
    expect(prepared).toContain('@link(url: "https://specs.apollo.dev/authenticated/v0.1")');
    expect(prepared).not.toContain("SECURITY)");
  });

  it("a supergraph linking another feature for: SECURITY is refused, naming it", () => {
    const other = SUPERGRAPH.replace(
      '@link(url: "https://specs.apollo.dev/requiresScopes/v0.1", for: SECURITY)',
      '@link(url: "https://specs.apollo.dev/requiresScopes/v0.1", for: SECURITY)\n  @link(url: "https://example.gov/rowLevelSecurity/v1.0", for: SECURITY)',
    );
    expect(other).not.toBe(SUPERGRAPH);
    expect(() => prepareSupergraphForGateway(other)).toThrow(UnsupportedSecurityFeatureError);
    expect(() => prepareSupergraphForGateway(other)).toThrow(/rowLevelSecurity/);
  });

  it("the gateway does not start on such a supergraph", async () => {
    const dir = mkdtempSync(join(tmpdir(), "security-feature-"));
    const path = join(dir, "supergraph.graphql");
    writeFileSync(
      path,
      SUPERGRAPH.replace(
        '@link(url: "https://specs.apollo.dev/authenticated/v0.1", for: SECURITY)',
        '@link(url: "https://specs.apollo.dev/authenticated/v0.1", for: SECURITY)\n  @link(url: "https://example.gov/masking/v0.1", for: SECURITY)',
      ),
    );
    await expect(startExtraGateway(system, { supergraphPath: path })).rejects.toThrow(/masking/);
  });
});
