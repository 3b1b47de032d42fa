/**
 * A revocation reaches every gateway process: two gateway processes share one
 * PostgreSQL database (and one Redis); a grant is approved and used through
 * the second, revoked through the first, and the second answers
 * FORBIDDEN/NO_GRANT again without a restart — over Redis pub/sub, and over
 * PostgreSQL LISTEN/NOTIFY when there is no Redis. The grant cache's safety
 * net is 60 s, so a field denied within the test's 20 s wait was invalidated
 * by the message. The time taken is printed (the bench figure is in the README).
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { DEFAULT_TOKEN_AUDIENCE, DEV_TOKEN_ISSUER } from "../../gateway/config.ts";
import { signDevToken } from "../../platform/security/signDevToken.ts";
import { startChild, type ServiceChild } from "../../scripts/childProcesses.ts";
import { listening } from "../security/support/hostile.ts";
import { postGraphQL, type GraphQLResult } from "../support/graphql.ts";
import { startSystem, usingPostgres, type System } from "../support/startSystem.ts";

const REDIS_URL = process.env.REDIS_URL ?? "redis://127.0.0.1:6379";
const redisUp = await listening(new URL(REDIS_URL).hostname, Number(new URL(REDIS_URL).port || 6379));
const LI_WEI = "140105198605150031";
const INCOME = `{ citizen(id: "${LI_WEI}") { incomeRecord(year: 2025) { totalIncome } } }`;

function reasonOf(result: GraphQLResult): unknown {
  return result.body.errors?.[0]?.extensions?.reason ?? null;
}

for (const mode of ["redis", "postgres"] as const) {
  describe.skipIf(!usingPostgres || (mode === "redis" && !redisUp))(`revocation across two gateway processes (${mode === "redis" ? "Redis pub/sub" : "PostgreSQL LISTEN/NOTIFY"})`, () => {
    let system: System;
    let second: ServiceChild;
    const app = `app:revocation-${mode}`;
    const purpose = "REVOCATION_TEST";
    const sign = (subject: string, scopes: string[], tokenPurpose = purpose) =>
      signDevToken({ key: system.issuerKey, issuer: DEV_TOKEN_ISSUER, audience: DEFAULT_TOKEN_AUDIENCE, subject, scopes, purpose: tokenPurpose });

    beforeAll(async () => {
      system = await startSystem({ suite: `revocation-${mode}`, grants: [], gateway: { redisUrl: mode === "redis" ? REDIS_URL : undefined } });
      expect(system.gateway.governance.invalidation.kind).toBe(mode);
      const env: NodeJS.ProcessEnv = {
        PATH: process.env.PATH,
        HOST: "127.0.0.1",
        PORT: "0",
        METRICS_PORT: "0",
        LOG_LEVEL: "info",
        DATA_DIR: system.workDir,
        JWKS: system.keys.issuerJwks,
        GATEWAY_SIGNING_KEY: system.keys.gatewayPrivate,
        RECEIPT_SIGNING_KEY: system.keys.receiptPrivate,
        AUDIT_PSEUDONYM_KEY: system.keys.auditPseudonymKey,
        AUDIT_HEADS: `${system.workDir}/audit-heads-second.jsonl`,
        GATEWAY_DATABASE_URL: system.auditDatabase.kind === "postgres" ? system.auditDatabase.url : "",
        ...(mode === "redis" ? { REDIS_URL } : {}),
      };
      for (const [name, subgraph] of system.subgraphs) env[`${name.toUpperCase().replace(/-/g, "_")}_SUBGRAPH_URL`] = subgraph.url;
      second = await startChild({ name: `gateway-2-${mode}`, entry: "gateway/main.ts", env });
    }, 240_000);

    afterAll(async () => {
      await second?.stop();
      await system?.stop();
    });

    it("a grant approved through one process works through the other; its revocation is enforced there without a restart", async () => {
      const operator = await sign("app:test-operator", ["grants:admin"], "SETUP");
      const approver = await sign("user:tax-approver", ["grants:approve:tax"], "SETUP");
      const ask = (url: string, token: string, query: string, variables?: Record<string, unknown>) => postGraphQL(url, query, variables, { authorization: `Bearer ${token}` });
      await ask(system.gatewayUrl, operator, `mutation { registerApp(app: "${app}", department: "测试", contact: "ops") { app } }`);
      const applied = await ask(system.gatewayUrl, operator, `mutation($input: AccessApplicationInput!) { applyForAccess(input: $input) { id } }`, {
        input: { app, purpose, scopes: ["tax:income"], description: "d", legalBasis: "b", scenario: "s", durationDays: 1 },
      });
      const [{ id }] = applied.body.data.applyForAccess;
      const reader = await sign(app, ["tax:income"]);
      // The second process caches "no grant" first.
      expect(reasonOf(await ask(second.url, reader, INCOME))).toBe("NO_GRANT");
      await ask(system.gatewayUrl, approver, `mutation { approveApplication(id: "${id}") { status } }`);
      let granted: GraphQLResult;
      const grantDeadline = Date.now() + 20_000;
      do granted = await ask(second.url, reader, INCOME);
      while (reasonOf(granted) === "NO_GRANT" && Date.now() < grantDeadline);
      expect(granted.body.data.citizen.incomeRecord).toEqual({ totalIncome: "186000.00" });

      const grants = await ask(system.gatewayUrl, approver, `{ grants(app: "${app}", activeOnly: true) { id } }`);
      const revokedAt = performance.now();
      await ask(system.gatewayUrl, approver, `mutation { revokeGrant(id: "${grants.body.data.grants[0].id}", reason: "test") { status } }`);
      let after: GraphQLResult;
      const deadline = Date.now() + 20_000;
      do after = await ask(second.url, reader, INCOME);
      while (reasonOf(after) !== "NO_GRANT" && Date.now() < deadline);
      console.log(`revocation enforced by the second gateway process ${Math.round(performance.now() - revokedAt)} ms after the revoke was sent (${mode})`);
      expect(reasonOf(after)).toBe("NO_GRANT");
      expect(after.body.data.citizen.incomeRecord).toBeNull();
    });
  });
}
