/**
 * Grants expire after their duration: past it they no longer count, and the
 * expiry is written once to the audit chain (actor `system`), even when two
 * sweeps run. The clock is the governance's own, moved forward.
 */
import { mkdtempSync, readFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { openAuditLog, type AuditLog } from "../../gateway/audit/openAuditLog.ts";
import { createGovernance } from "../../gateway/governance/createGovernance.ts";
import { readCatalog } from "../../gateway/governance/readCatalog.ts";
import { ensureDevKeys } from "../../platform/security/keys.ts";

const SUPERGRAPH = new URL("../../schema/supergraph.graphql", import.meta.url);

describe("grant expiry", () => {
  let audit: AuditLog;
  let clock = new Date("2026-12-07T09:00:00+08:00");
  const changed: string[] = [];

  beforeAll(async () => {
    const keys = await ensureDevKeys(mkdtempSync(join(tmpdir(), "grant-expiry-")));
    audit = await openAuditLog({ auditDatabase: { kind: "pglite", dataDir: "memory://" }, auditPseudonymKeyPath: keys.auditPseudonymKey });
  });

  afterAll(async () => {
    await audit?.writer.drain();
    await audit?.database.close();
  });

  it("stops counting a grant past its duration and records EXPIRE once", async () => {
    const governance = createGovernance({
      prisma: audit.database.prisma,
      audit: audit.writer,
      catalog: readCatalog(readFileSync(SUPERGRAPH, "utf8")),
      changed: async (app, purpose) => void changed.push(`${app} ${purpose}`),
      now: () => clock,
    });
    const operator = { app: "user:operator", scopes: new Set(["grants:admin"]) };
    await governance.registerApp(operator, { app: "app:short", department: "d", contact: "c" });
    await governance.applyForAccess(operator, { app: "app:short", purpose: "SHORT", scopes: ["tax:verify"], description: "d", legalBasis: "b", scenario: "s", durationDays: 2 });
    expect([...(await governance.activeGrants("app:short", "SHORT")).scopes]).toEqual(["tax:verify"]);
    expect(await governance.expireDue()).toBe(0);

    clock = new Date(clock.getTime() + 2 * 86_400_000 + 1000);
    expect([...(await governance.activeGrants("app:short", "SHORT")).scopes]).toEqual([]);
    changed.length = 0;
    const [first, second] = await Promise.all([governance.expireDue(), governance.expireDue()]);
    expect(first + second).toBe(1);
    expect(changed).toEqual(["app:short SHORT"]);
    const [grant] = await governance.grants(operator, { app: "app:short" });
    expect(grant!.status).toBe("EXPIRED");
    const records = await audit.database.prisma.auditRecord.findMany({ where: { operationName: "governance:EXPIRE" } });
    expect(records).toHaveLength(1);
    expect(records[0]!.app).toBe("system");
    expect(records[0]!.governance).toMatchObject({ action: "EXPIRE", actor: "system", app: "app:short", scopes: ["tax:verify"] });
  });

  it("counts an application's age in working days and flags it past five", async () => {
    const governance = createGovernance({
      prisma: audit.database.prisma,
      audit: audit.writer,
      catalog: readCatalog(readFileSync(SUPERGRAPH, "utf8")),
      changed: async () => {},
      now: () => clock,
    });
    const operator = { app: "user:operator", scopes: new Set(["grants:admin"]) };
    clock = new Date("2026-12-04T10:00:00+08:00"); // a Friday
    const [filed] = await governance.applyForAccess(operator, { app: "app:short", purpose: "SLOW", scopes: ["tax:income"], description: "d", legalBasis: "b", scenario: "s", durationDays: 30 });
    expect(filed).toMatchObject({ status: "PENDING", ageWorkingDays: 0, overdue: false });
    const ageAt = async (iso: string) => {
      clock = new Date(iso);
      return (await governance.applications(operator, { app: "app:short", status: "PENDING" }))[0]!;
    };
    expect(await ageAt("2026-12-07T09:00:00+08:00")).toMatchObject({ ageWorkingDays: 1, overdue: false }); // Monday: the weekend does not count
    expect(await ageAt("2026-12-11T11:00:00+08:00")).toMatchObject({ ageWorkingDays: 5, overdue: false });
    expect(await ageAt("2026-12-14T09:00:00+08:00")).toMatchObject({ ageWorkingDays: 6, overdue: true });
  });
});
