/**
 * `npm run grants` against the running gateway, signing with the dev issuer
 * (DATA_DIR's keys) as the app for register/apply and as an approver for the
 * rest: register, apply, list, refuse without a reason (refused), approve,
 * usage, revoke.
 */
import { execFile } from "node:child_process";
import { fileURLToPath } from "node:url";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { DEFAULT_TOKEN_AUDIENCE, DEV_TOKEN_ISSUER } from "../../gateway/config.ts";
import { signDevToken } from "../../platform/security/signDevToken.ts";
import { postGraphQL } from "../support/graphql.ts";
import { startSystem, type System } from "../support/startSystem.ts";

const ROOT = fileURLToPath(new URL("../..", import.meta.url));
const APP = "app:cli-granted";

describe("npm run grants", () => {
  let system: System;
  const grants = (...args: string[]) =>
    new Promise<{ code: number; stdout: string; stderr: string }>((resolve) => {
      execFile(process.execPath, ["--import", "tsx", "scripts/grants.ts", ...args, "--url", system.gatewayUrl], { cwd: ROOT, env: { ...process.env, DATA_DIR: system.workDir }, timeout: 60_000 }, (error, stdout, stderr) =>
        resolve({ code: error ? (typeof error.code === "number" ? error.code : -1) : 0, stdout, stderr }),
      );
    });

  beforeAll(async () => {
    system = await startSystem({ suite: "grants-cli", grants: [], withoutAgencies: ["credit", "housing-fund", "real-estate"] });
  });

  afterAll(async () => {
    await system?.stop();
  });

  it("registers, applies, lists, refuses only with a reason, approves, shows usage and revokes", async () => {
    expect((await grants("register", "--app", APP, "--department", "测试部门", "--contact", "0351-0000000")).code).toBe(0);
    const applied = await grants("apply", "--app", APP, "--purpose", "CLI_LOAN_CHECK", "--scope", "tax:income tax:verify", "--basis", "《住房公积金管理条例》", "--days", "30", "--json");
    expect(applied.code).toBe(0);
    const [application] = JSON.parse(applied.stdout);
    expect(application).toMatchObject({ agency: "tax", status: "PENDING", pendingScopes: ["tax:income"] });

    const listed = await grants("list", "--agency", "tax");
    expect(listed.code).toBe(0);
    expect(listed.stdout).toContain(application.id);
    expect(listed.stdout).toMatch(/PENDING .*0 working days/);

    const noReason = await grants("refuse", application.id);
    expect(noReason.code).not.toBe(0);
    expect(noReason.stderr).toContain("--reason");

    const approved = await grants("approve", application.id, "--json");
    expect(approved.code).toBe(0);
    expect(JSON.parse(approved.stdout)).toMatchObject({ id: application.id, status: "APPROVED" });

    const token = await signDevToken({ key: system.issuerKey, issuer: DEV_TOKEN_ISSUER, audience: DEFAULT_TOKEN_AUDIENCE, subject: APP, scopes: ["tax:income"], purpose: "CLI_LOAN_CHECK" });
    const read = await postGraphQL(system.gatewayUrl, `{ citizen(id: "140105198605150031") { incomeRecord(year: 2025) { totalIncome } } }`, undefined, { authorization: `Bearer ${token}` });
    expect(read.body.data.citizen.incomeRecord).toEqual({ totalIncome: "186000.00" });

    const usage = await grants("usage", "--agency", "tax", "--json");
    expect(usage.code).toBe(0);
    expect(JSON.parse(usage.stdout)).toContainEqual(expect.objectContaining({ app: APP, purpose: "CLI_LOAN_CHECK", field: "Citizen.incomeRecord", reads: 1, denials: 0 }));

    const list = JSON.parse((await grants("list", "--app", APP, "--json")).stdout);
    const income = list.grants.find((g: { scopes: string[] }) => g.scopes.includes("tax:income"));
    const revoked = await grants("revoke", income.id, "--reason", "审核结束", "--json");
    expect(JSON.parse(revoked.stdout)).toMatchObject({ id: income.id, status: "REVOKED" });
  });
});
