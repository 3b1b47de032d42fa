/**
 * `npm run audit -- verify | list` as an operator runs it, in a child process
 * against a stopped gateway's database: on PostgreSQL (the test database of
 * suite "cli") and on an embedded PGlite directory. After one row is edited
 * with the append-only triggers bypassed (as a superuser would), verify
 * exits non-zero and names that row.
 */
import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import pg from "pg";
import { PGlite } from "@electric-sql/pglite";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { DEFAULT_TOKEN_AUDIENCE, DEV_TOKEN_ISSUER } from "../../gateway/config.ts";
import { withDatabaseName } from "../../platform/database/databaseUrl.ts";
import { signDevToken } from "../../platform/security/signDevToken.ts";
import { postGraphQL } from "../support/graphql.ts";
import { STANDARD_SCOPES } from "../support/standardScopes.ts";
import { startSystem, usingPostgres, type System } from "../support/startSystem.ts";
import { runAuditCli, unusedPort } from "../support/runAuditCli.ts";

const LI_WEI = "140105198605150031";
const WANG_FANG = "140105198803120028";
/** The traffic record (counted from the first) that the tamper scenario edits. */
const TAMPERED = 3;
/** The traffic reads names and housing fund balances only. */
const UNUSED_AGENCIES = ["credit", "real-estate", "tax"];

/** @returns how many records were there before (the governance steps that granted the suite's app) */
async function makeTraffic(system: System): Promise<number> {
  const before = await system.gateway.audit.database.prisma.auditRecord.count();
  const token = await signDevToken({
    key: system.issuerKey,
    issuer: DEV_TOKEN_ISSUER,
    audience: DEFAULT_TOKEN_AUDIENCE,
    subject: "app:audit-cli-test",
    scopes: STANDARD_SCOPES,
    purpose: "CLI_TEST",
  });
  const headers = { authorization: `Bearer ${token}` };
  for (const id of [LI_WEI, WANG_FANG, LI_WEI, WANG_FANG, LI_WEI]) {
    const result = await postGraphQL(system.gatewayUrl, `{ citizen(id: "${id}") { name housingFundAccount { balance } } }`, undefined, headers);
    expect(result.body.data.citizen.name).toBeTruthy();
  }
  await postGraphQL(system.gatewayUrl, `{ citizen(id: "${LI_WEI}") { name } }`, undefined, { authorization: "" });
  return before;
}

const editSql = (seq: number) => `BEGIN; SET LOCAL session_replication_role = replica;
  UPDATE audit_record SET purpose = 'CLI_TESU' WHERE seq = ${seq}; COMMIT;`;

/** The shared scenario: verify passes, list --json lists, an edited row fails verify by its seq. */
function cliScenario(setup: () => Promise<{ env: Record<string, string | undefined>; jwks: string; base: number; exec(sql: string): Promise<void> }>) {
  let env: Record<string, string | undefined>;
  let jwks: string;
  let exec: (sql: string) => Promise<void>;
  /** Records before the traffic: the traffic's seqs are base + 1 … base + 6. */
  let base: number;
  const seqs = (...offsets: number[]) => offsets.map((n) => String(base + n));

  beforeAll(async () => {
    ({ env, jwks, exec, base } = await setup());
  });

  it("verify exits 0 and says the chain verifies", async () => {
    const run = await runAuditCli(["verify", "--jwks", jwks], env);
    expect(run.stderr).not.toMatch(/BROKEN/);
    expect(run.code).toBe(0);
    expect(run.stdout).toMatch(new RegExp(`audit chain verifies: ${base + 6} records, \\d+ signed heads`));
  });

  it("list --json prints the records newest first, filtered, with no value in them", async () => {
    const run = await runAuditCli(["list", "--json"], env);
    expect(run.code).toBe(0);
    const records = run.stdout.split("\n").filter(Boolean).map((line) => JSON.parse(line));
    expect(records.slice(0, 6).map((r) => r.seq)).toEqual(seqs(6, 5, 4, 3, 2, 1));
    expect(records[0].outcome).toBe("UNAUTHENTICATED");
    expect(records.slice(1, 6).every((r) => r.app === "app:audit-cli-test" && r.purpose === "CLI_TEST" && r.dataReleased === true)).toBe(true);
    for (const value of ["86400.00", "李伟", "王芳", LI_WEI, WANG_FANG]) expect(run.stdout).not.toContain(value);

    const filtered = await runAuditCli(["list", "--json", "--app", "app:audit-cli-test", "--citizen", LI_WEI, "--field", "HousingFundAccount.balance"], env);
    expect(filtered.code).toBe(0);
    const lines = filtered.stdout.split("\n").filter(Boolean).map((line) => JSON.parse(line));
    expect(lines.map((r) => r.seq)).toEqual(seqs(5, 3, 1));
  });

  it("check-citizens finds every record's citizens in step with the rows citizens' reads walk", async () => {
    const run = await runAuditCli(["check-citizens"], env);
    expect(run.stderr).toBe("");
    expect(run.code).toBe(0);
    expect(run.stdout).toMatch(/in step/);
    expect(run.stdout).not.toMatch(/OUT OF STEP/);
  });

  it("after a citizen's row was removed and a stray one added with triggers bypassed, check-citizens exits non-zero naming both", async () => {
    // The first traffic record names Li Wei: his row goes, and one for nobody is added to the second.
    await exec(`BEGIN; SET LOCAL session_replication_role = replica;
      DELETE FROM audit_record_citizen WHERE seq = ${base + 1};
      INSERT INTO audit_record_citizen (citizen, seq, committed_at) SELECT 'pseudonym-of-nobody', seq, committed_at FROM audit_record WHERE seq = ${base + 2};
      COMMIT;`);
    const run = await runAuditCli(["check-citizens", "--json"], env);
    expect(run.code).toBe(2);
    const result = JSON.parse(run.stdout);
    expect(result.ok).toBe(false);
    const [month] = result.months.filter((m: { missing: number }) => m.missing > 0);
    expect(month).toMatchObject({ missing: 1, unbacked: 1 });
    expect(month.examples).toEqual([expect.stringMatching(new RegExp(`^missing ${base + 1} `)), `unbacked ${base + 2} pseudonym-of-nobody`]);
    const text = await runAuditCli(["check-citizens"], env);
    expect(text.code).toBe(2);
    expect(text.stderr).toMatch(/OUT OF STEP: 1 citizens named by a record with no row/);
    // Put back as it was, for the scenario's other steps.
    await exec(`BEGIN; SET LOCAL session_replication_role = replica;
      DELETE FROM audit_record_citizen WHERE citizen = 'pseudonym-of-nobody';
      INSERT INTO audit_record_citizen (citizen, seq, committed_at) SELECT DISTINCT unnest(citizens), seq, committed_at FROM audit_record WHERE seq = ${base + 1};
      COMMIT;`);
    expect((await runAuditCli(["check-citizens"], env)).code).toBe(0);
  });

  // The row lies in the range an earlier `verify` already covered: incremental runs start after it, `--full` re-checks it.
  it("after one row was edited with triggers bypassed, verify --full exits non-zero naming that row", async () => {
    await exec(editSql(base + TAMPERED));
    const run = await runAuditCli(["verify", "--full", "--jwks", jwks], env);
    expect(run.code).not.toBe(0);
    expect(run.stderr).toMatch(new RegExp(`BROKEN at record ${base + TAMPERED}\\b`));
    expect(run.stdout).not.toMatch(/verifies/);
  });
}

describe.skipIf(!usingPostgres)("audit CLI on PostgreSQL", () => {
  const DATABASE = `${process.env.TEST_DB_PREFIX ?? "test"}_cli_gateway`;
  let system: System;

  afterAll(async () => {
    await system?.stop().catch(() => {});
  });

  cliScenario(async () => {
    system = await startSystem({ suite: "cli", withoutAgencies: UNUSED_AGENCIES });
    const base = await makeTraffic(system);
    await system.stop();
    const url = withDatabaseName(process.env.DATABASE_URL!, DATABASE);
    return {
      base,
      jwks: system.keys.gatewayJwks,
      env: {
        DATABASE_URL: process.env.DATABASE_URL,
        GATEWAY_DATABASE_URL: url,
        DATA_DIR: system.workDir,
        AUDIT_HEADS: join(system.workDir, "audit-heads.jsonl"),
        PORT: String(await unusedPort()),
      },
      async exec(sql) {
        const client = new pg.Client({ connectionString: url });
        await client.connect();
        try {
          await client.query(sql);
        } finally {
          await client.end();
        }
      },
    };
  });
});

describe("audit CLI on an embedded PGlite directory", () => {
  let system: System;

  afterAll(async () => {
    await system?.stop().catch(() => {});
  });

  cliScenario(async () => {
    const dataDir = mkdtempSync(join(tmpdir(), "audit-cli-"));
    const gatewayDir = join(dataDir, "gateway");
    system = await startSystem({ suite: "cli-pglite", withoutAgencies: UNUSED_AGENCIES, gateway: { auditDatabase: { kind: "pglite", dataDir: gatewayDir } } });
    const base = await makeTraffic(system);
    await system.stop();
    return {
      base,
      jwks: system.keys.gatewayJwks,
      env: {
        DATABASE_URL: undefined,
        GATEWAY_DATABASE_URL: undefined,
        DATA_DIR: dataDir,
        AUDIT_PSEUDONYM_KEY: system.keys.auditPseudonymKey,
        AUDIT_HEADS: join(system.workDir, "audit-heads.jsonl"),
        PORT: String(await unusedPort()),
      },
      async exec(sql) {
        const db = await PGlite.create(gatewayDir);
        try {
          await db.exec(sql);
        } finally {
          await db.close();
        }
      },
    };
  });
});
