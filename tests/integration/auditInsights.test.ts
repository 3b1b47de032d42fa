/**
 * The audit log's patterns for auditors: auditSummary (the page's charts) and
 * auditAnomalies (five rules), over the real gateway and its database, with
 * records written through the gateway's own audit writer. Each rule fires on
 * the records seeded for it and not on the near misses beside them; each flag
 * opens exactly the records behind it. The rollups follow new records
 * incrementally from their watermark.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { withDatabaseName } from "../../platform/database/databaseUrl.ts";
import { DEFAULT_ANOMALY_THRESHOLDS } from "../../gateway/audit/insights/AnomalyThresholds.ts";
import { detectAuditAnomalies, detectAuditAnomaliesAfresh } from "../../gateway/audit/insights/detectAuditAnomalies.ts";
import { startRollupRefresh } from "../../gateway/audit/insights/startRollupRefresh.ts";
import { summarizeAudit } from "../../gateway/audit/insights/summarizeAudit.ts";
import { refreshAuditRollups } from "../../gateway/audit/insights/refreshAuditRollups.ts";
import { viewRollups } from "../../gateway/audit/insights/rollupCache.ts";
import { DEFAULT_TOKEN_AUDIENCE, DEV_TOKEN_ISSUER } from "../../gateway/config.ts";
import { signDevToken } from "../../platform/security/signDevToken.ts";
import { postGraphQL } from "../support/graphql.ts";
import { ANOMALY_DAY, EXPECTED_FLAGS, STORM_DAY, seedAnomalies, seedFlagStorm } from "../support/seedAnomalies.ts";
import { startSystem, usingPostgres, type System } from "../support/startSystem.ts";
import { runAuditCli } from "../support/runAuditCli.ts";

const DAY_END = new Date(ANOMALY_DAY.getTime() + 24 * 3_600_000);

const ANOMALIES = `query Anomalies($since: DateTime, $until: DateTime) {
  auditAnomalies(since: $since, until: $until) {
    id rule app purpose citizenPseudonym fields since until observed threshold summary
    records(first: 100) { seq app purpose outcome time citizenPseudonyms requestedFields deniedFields }
  } }`;

const SUMMARY = `query Summary($since: DateTime, $until: DateTime) {
  auditSummary(since: $since, until: $until, topApps: 3) {
    since until
    series { hour app purpose requests reads denials }
    agencies { agency reads }
    levels { level reads }
    topApps { app citizens reads }
  } }`;

describe("audit patterns and anomaly flags", () => {
  let system: System;
  let auditor: string;
  const ask = async (query: string, variables: Record<string, unknown>) => {
    const result = await postGraphQL(system.gatewayUrl, query, variables, { authorization: `Bearer ${auditor}` });
    expect(result.body.errors).toBeUndefined();
    return result.body.data;
  };
  const range = { since: ANOMALY_DAY.toISOString(), until: DAY_END.toISOString() };

  beforeAll(async () => {
    // No periodic refresh here: the suite decides when the rollups catch up.
    system = await startSystem({ suite: "insights", gateway: { auditRollupIntervalMs: 0 } });
    auditor = `${await signDevToken({ key: system.issuerKey, issuer: DEV_TOKEN_ISSUER, audience: DEFAULT_TOKEN_AUDIENCE, subject: "app:auditor-console", scopes: ["audit:read"], purpose: "AUDIT_REVIEW" })}`;
    await seedAnomalies(system.gateway.audit.writer);
  });

  afterAll(async () => {
    await system?.stop();
  });

  it("flags each rule's records and none of the near misses", async () => {
    const { auditAnomalies } = await ask(ANOMALIES, range);
    expect(auditAnomalies.map((flag: { rule: string; app: string }) => `${flag.rule} ${flag.app}`).sort()).toEqual(
      EXPECTED_FLAGS.map((flag) => `${flag.rule} ${flag.app}`).sort(),
    );
    for (const expected of EXPECTED_FLAGS) {
      const flag = auditAnomalies.find((f: { rule: string }) => f.rule === expected.rule);
      expect(flag.records, expected.rule).toHaveLength(expected.records);
      for (const record of flag.records) {
        expect(record.app).toBe(expected.app);
        expect(new Date(record.time) >= new Date(flag.since) && new Date(record.time) < new Date(flag.until)).toBe(true);
      }
      expect(flag.observed).toBeGreaterThanOrEqual(flag.threshold);
    }
    const byRule = Object.fromEntries(auditAnomalies.map((flag: { rule: string }) => [flag.rule, flag]));
    expect(byRule.DISTINCT_CITIZENS).toMatchObject({ observed: 30, threshold: 20, since: "2026-03-09T03:00:00.000Z" });
    expect(byRule.THRESHOLD_PROBING).toMatchObject({ observed: 6, threshold: 4, citizenPseudonym: "pseudonym-target", fields: ["Citizen.incomeAtLeast"] });
    expect(byRule.DENIAL_RATIO).toMatchObject({ observed: 67, threshold: 40 });
    expect(byRule.DENIAL_RATIO.records.every((r: { outcome: string }) => r.outcome === "DENIED")).toBe(true);
    expect(byRule.OFF_HOURS).toMatchObject({ observed: 6, since: "2026-03-09T18:00:00.000Z" });
    expect(byRule.PURPOSE_DRIFT).toMatchObject({ purpose: "HPF_WITHDRAWAL", fields: ["Citizen.creditReport", "CreditReport.score"] });
    expect(byRule.PURPOSE_DRIFT.records[0].requestedFields).toContain("Citizen.creditReport");

    // One flag again by its id, as the page asks when it opens a flag's records.
    const again = await ask(ANOMALIES.replace("$until: DateTime)", "$until: DateTime, $id: ID)").replace("until: $until)", "until: $until, id: $id)"), { ...range, id: byRule.OFF_HOURS.id });
    expect(again.auditAnomalies).toHaveLength(1);
    expect(again.auditAnomalies[0].records.map((r: { seq: string }) => r.seq)).toEqual(byRule.OFF_HOURS.records.map((r: { seq: string }) => r.seq));
  });

  it("pages a range's flags: the most recent hour first, the most severe first within it, by keyset, without gaps or repeats", async () => {
    await seedFlagStorm(system.gateway.audit.writer, 12, 3);
    const storm = { since: STORM_DAY.toISOString(), until: new Date(STORM_DAY.getTime() + 24 * 3_600_000).toISOString() };
    const PAGE = `query Flags($since: DateTime, $until: DateTime, $after: String) {
      auditSummary(since: $since, until: $until) { anomalies(first: 7, after: $after) { total nextCursor flags { id rule app since observed threshold } } } }`;
    const pages: Array<{ total: number; nextCursor: string | null; flags: Array<{ id: string; rule: string; since: string; observed: number; threshold: number }> }> = [];
    let after: string | null = null;
    do {
      const { auditSummary } = await ask(PAGE, { ...storm, after });
      pages.push(auditSummary.anomalies);
      after = auditSummary.anomalies.nextCursor;
    } while (after && pages.length < 20);
    expect(pages.map((page) => page.flags.length)).toEqual([7, 7, 7, 7, 7, 1]);
    expect(new Set(pages.map((page) => page.total))).toEqual(new Set([36]));
    const paged = pages.flatMap((page) => page.flags);
    expect(new Set(paged.map((flag) => flag.rule))).toEqual(new Set(["OFF_HOURS"]));
    // The same flags as the whole list, none twice, in order: newest hour, then most severe (6 reads over 5 before 5 over 5), then id.
    const { auditAnomalies } = await ask(`query All($since: DateTime, $until: DateTime) { auditAnomalies(since: $since, until: $until) { id } }`, storm);
    expect(paged.map((flag) => flag.id).sort()).toEqual(auditAnomalies.map((flag: { id: string }) => flag.id).sort());
    expect(paged.map((flag) => flag.since)).toEqual([...Array(12).fill("2026-03-19T18:00:00.000Z"), ...Array(12).fill("2026-03-19T17:00:00.000Z"), ...Array(12).fill("2026-03-19T16:00:00.000Z")]);
    expect(paged.slice(0, 12).map((flag) => flag.observed)).toEqual([...Array(6).fill(6), ...Array(6).fill(5)]);
    const firstHour = paged.slice(0, 6).map((flag) => flag.id);
    expect(firstHour).toEqual([...firstHour].sort());

    // A cursor not from a page is refused as bad input.
    const bad = await postGraphQL(system.gatewayUrl, PAGE, { ...storm, after: "not-a-cursor" }, { authorization: `Bearer ${auditor}` });
    expect(bad.body.errors?.[0]?.extensions?.code).toBe("BAD_USER_INPUT");
  });

  it("flags real bisection through the gateway: one app, one citizen, many income thresholds", async () => {
    const prober = await signDevToken({ key: system.issuerKey, issuer: DEV_TOKEN_ISSUER, audience: DEFAULT_TOKEN_AUDIENCE, subject: "app:live-prober", scopes: ["tax:verify"], purpose: "LOAN_PRECHECK" });
    const started = new Date();
    for (const amount of ["100000.00", "50000.00", "75000.00", "62500.00", "68750.00"]) {
      await postGraphQL(system.gatewayUrl, `{ citizen(id: "140105198605150031") { incomeAtLeast(year: 2025, amount: "${amount}") } }`, {}, { authorization: `Bearer ${prober}` });
    }
    // Two amounts for another citizen stay under the threshold.
    for (const amount of ["100000.00", "50000.00"]) {
      await postGraphQL(system.gatewayUrl, `{ citizen(id: "140105198803120028") { incomeAtLeast(year: 2025, amount: "${amount}") } }`, {}, { authorization: `Bearer ${prober}` });
    }
    const { auditAnomalies } = await ask(ANOMALIES, { since: new Date(started.getTime() - 3_600_000).toISOString(), until: new Date(Date.now() + 1000).toISOString() });
    // (Off-hours may flag these reads too, depending on when the suite runs: only probing is asserted.)
    const live = auditAnomalies.filter((flag: { app: string; rule: string }) => flag.app === "app:live-prober" && flag.rule === "THRESHOLD_PROBING");
    expect(live).toHaveLength(1);
    expect(live[0]).toMatchObject({ observed: 5, fields: ["Citizen.incomeAtLeast"] });
    expect(live[0].records).toHaveLength(5);
  });

  it("flags nothing in a range without anomalies (the baseline day before)", async () => {
    const before = { since: new Date(ANOMALY_DAY.getTime() - 24 * 3_600_000).toISOString(), until: ANOMALY_DAY.toISOString() };
    expect((await ask(ANOMALIES, before)).auditAnomalies).toEqual([]);
  });

  it("follows its thresholds: raised, each flag goes; lowered, the near misses are flagged too", async () => {
    const prisma = system.gateway.audit.database.prisma;
    const rules = async (changes: Partial<typeof DEFAULT_ANOMALY_THRESHOLDS>) =>
      (await detectAuditAnomalies(prisma, { since: ANOMALY_DAY, until: DAY_END }, { ...DEFAULT_ANOMALY_THRESHOLDS, ...changes }))
        .map((flag) => `${flag.rule} ${flag.scope.app}`)
        .sort();
    expect(await rules({})).toEqual(EXPECTED_FLAGS.map((flag) => `${flag.rule} ${flag.app}`).sort());
    expect(
      await rules({ distinctCitizensMinimum: 40, probingDistinctArguments: 7, denialJumpPercent: 60, offHoursMinimumReads: 7, driftUsualPercent: 1, driftMinimumHistory: 50 }),
    ).toEqual([]);
    const lowered = await rules({ distinctCitizensFactor: 2, probingDistinctArguments: 3, denialJumpPercent: 5, denialMinimumRequests: 5, offHoursMinimumReads: 3, serviceHoursStart: 0, serviceHoursEnd: 12 });
    // steady-reader (25 > 2 x 10), checker (3 thresholds), always-partial (60% vs 50%), few (5 of 5),
    // and, once service hours are 0–12 in Shanghai, the reads at 14:00 but not those at 02:00 and 03:00.
    for (const expected of ["DISTINCT_CITIZENS app:steady-reader", "THRESHOLD_PROBING app:checker", "DENIAL_RATIO app:always-partial", "DENIAL_RATIO app:few", "OFF_HOURS app:day-worker"]) {
      expect(lowered).toContain(expected);
    }
    expect(lowered).not.toContain("OFF_HOURS app:night-owl");
  });

  it("summarizes reads, denials, agencies, levels and the apps reaching most citizens", async () => {
    const { auditSummary } = await ask(SUMMARY, range);
    expect(auditSummary.since).toBe(range.since);
    const bulk = auditSummary.series.filter((row: { app: string }) => row.app === "app:bulk-reader");
    expect(bulk).toEqual([{ hour: "2026-03-09T03:00:00.000Z", app: "app:bulk-reader", purpose: "BULK_CHECK", requests: 30, reads: 30, denials: 0 }]);
    const denied = auditSummary.series.find((row: { app: string }) => row.app === "app:denied");
    expect(denied).toMatchObject({ requests: 12, reads: 4, denials: 8 });
    expect(auditSummary.topApps).toEqual([
      { app: "app:bulk-reader", citizens: 30, reads: 30 },
      { app: "app:steady-reader", citizens: 25, reads: 25 },
      { app: "app:checker", citizens: 2, reads: 9 },
    ]);
    const agencies = Object.fromEntries(auditSummary.agencies.map((row: { agency: string; reads: number }) => [row.agency, row.reads]));
    expect(agencies).toMatchObject({ tax: 15, credit: 2, "housing-fund": 3 });
    const levels = Object.fromEntries(auditSummary.levels.map((row: { level: string; reads: number }) => [row.level, row.reads]));
    expect(Object.keys(levels)).toEqual(["L1", "L2", "L3", "L4"]);
    // L4: three housing fund balances and two credit reports of two fields each.
    expect(levels.L4).toBe(3 + 2 * 2);
    expect(levels.L1).toBe(0);
  });

  it("gives the same counts as columns (hourly): every hour of the range once, a row per app and purpose", async () => {
    const HOURLY = `query Hourly($since: DateTime, $until: DateTime) {
      auditSummary(since: $since, until: $until) { series { hour app purpose requests reads denials } hourly { hours rows { app purpose requests reads denials } } } }`;
    const { auditSummary } = await ask(HOURLY, range);
    const { hours, rows } = auditSummary.hourly as { hours: string[]; rows: Array<{ app: string; purpose: string; requests: number[]; reads: number[]; denials: number[] }> };
    expect(hours).toHaveLength(24);
    expect(hours[0]).toBe(range.since);
    expect(hours[23]).toBe(new Date(DAY_END.getTime() - 3_600_000).toISOString());
    // Pivoted back, the columns are the series, zeros aside.
    const fromColumns = rows.flatMap((row) =>
      hours
        .map((hour, i) => ({ hour, app: row.app, purpose: row.purpose, requests: row.requests[i], reads: row.reads[i], denials: row.denials[i] }))
        .filter((cell) => (cell.requests ?? 0) > 0),
    );
    const key = (row: { hour: string; app: string; purpose: string }) => `${row.hour} ${row.app} ${row.purpose}`;
    expect(fromColumns.sort((a, b) => key(a).localeCompare(key(b)))).toEqual([...auditSummary.series].sort((a, b) => key(a).localeCompare(key(b))));
    expect(rows.find((row) => row.app === "app:bulk-reader")!.reads[3]).toBe(30);
    expect(new Set(rows.map((row) => `${row.app} ${row.purpose}`)).size).toBe(rows.length);
  });

  it("adds records written after a view to the next view (rollups follow the watermark)", async () => {
    const { auditSummary: first } = await ask(SUMMARY, range);
    const readsOf = (summary: { series: Array<{ app: string; reads: number }> }) =>
      summary.series.filter((row) => row.app === "app:day-worker").reduce((sum, row) => sum + row.reads, 0);
    expect(readsOf(first)).toBe(20);
    const late = { ...(await import("../support/seedAnomalies.ts")).anomalySeed().find((entry) => entry.app === "app:day-worker")!, requestId: "late-1" };
    await system.gateway.audit.writer.write(late);
    const { auditSummary: second } = await ask(SUMMARY, range);
    expect(readsOf(second)).toBe(21);
    const [state] = await system.gateway.audit.database.session.query<{ seq: string }>(`SELECT "seq"::text AS "seq" FROM "audit_rollup_state"`);
    const [head] = await system.gateway.audit.database.session.query<{ seq: string }>(`SELECT max("seq")::text AS "seq" FROM "audit_record"`);
    // The auditor's own query was recorded after the refresh it triggered: at most that one record is not rolled up yet.
    expect(BigInt(head!.seq) - BigInt(state!.seq)).toBeLessThanOrEqual(1n);
  });

  it("prints the same flags and their records with npm run audit -- anomalies [--json]", async () => {
    const { auditAnomalies } = await ask(ANOMALIES, range);
    const expected = auditAnomalies.map((flag: { rule: string; app: string; records: Array<{ seq: string }> }) => ({ rule: flag.rule, app: flag.app, records: flag.records.map((r) => r.seq) }));
    // Through the running gateway (the embedded database's default), with a token the CLI signs itself.
    const viaGateway: Record<string, string | undefined> = { DATA_DIR: system.workDir, HOST: "127.0.0.1", PORT: new URL(system.gatewayUrl).port, DATABASE_URL: undefined, GATEWAY_DATABASE_URL: undefined };
    const runs = [viaGateway];
    if (usingPostgres) {
      // Direct on the gateway's PostgreSQL database.
      const database = withDatabaseName(process.env.DATABASE_URL!, `${process.env.TEST_DB_PREFIX ?? "test"}_insights_gateway`);
      runs.push({ ...viaGateway, PORT: "9", GATEWAY_DATABASE_URL: database });
    }
    for (const env of runs) {
      const json = await runAuditCli(["anomalies", "--since", range.since, "--until", range.until, "--json"], env);
      expect(json.stderr).toBe("");
      expect(json.code).toBe(0);
      const flags = json.stdout.trim().split("\n").map((line) => JSON.parse(line));
      expect(flags.map((flag) => ({ rule: flag.rule, app: flag.app, records: flag.records }))).toEqual(expected);
    }
    const text = await runAuditCli(["anomalies", "--since", range.since, "--until", range.until], viaGateway);
    expect(text.code).toBe(0);
    for (const flag of EXPECTED_FLAGS) expect(text.stdout).toContain(flag.rule);
    const bad = await runAuditCli(["anomalies", "--since", "yesterday-ish"], viaGateway);
    expect(bad.code).toBe(1);
    expect(bad.stderr).toContain("--since");
  });

  it("catches up between views with the periodic refresh", async () => {
    const { session, prisma } = system.gateway.audit.database;
    const lag = async () => {
      const [row] = await session.query<{ lag: string }>(`SELECT ((SELECT max("seq") FROM "audit_record") - (SELECT "seq" FROM "audit_rollup_state"))::text AS "lag"`);
      return Number(row!.lag);
    };
    const extra = (await import("../support/seedAnomalies.ts")).anomalySeed().slice(0, 20).map((entry, i) => ({ ...entry, requestId: `periodic-${i}` }));
    await Promise.all(extra.map((entry) => system.gateway.audit.writer.write(entry)));
    expect(await lag()).toBeGreaterThanOrEqual(20);
    const refresh = startRollupRefresh({ source: prisma, intervalMs: 50 });
    try {
      await expect.poll(lag, { timeout: 20_000, interval: 100 }).toBe(0);
    } finally {
      await refresh.stop();
    }
  });

  it("keeps each hour's flags in memory exactly as the rules computed afresh give them, for any thresholds", async () => {
    const prisma = system.gateway.audit.database.prisma;
    const day = { since: ANOMALY_DAY, until: DAY_END };
    const variants = [
      {},
      { distinctCitizensFactor: 2, probingDistinctArguments: 3, denialJumpPercent: 5, denialMinimumRequests: 5, offHoursMinimumReads: 3, serviceHoursStart: 0, serviceHoursEnd: 12 },
      { driftUsualPercent: 60, driftMinimumHistory: 5, distinctCitizensMinimum: 5 },
    ];
    for (const changes of variants) {
      const thresholds = { ...DEFAULT_ANOMALY_THRESHOLDS, ...changes };
      const kept = await detectAuditAnomalies(prisma, day, thresholds);
      expect(kept.length).toBeGreaterThan(0);
      expect(kept).toEqual(await detectAuditAnomaliesAfresh(prisma, day, thresholds));
      expect(await detectAuditAnomalies(prisma, day, thresholds)).toEqual(kept);
    }
  });

  it("recomputes the kept hours and distinct citizens that new records land in, and no view misses them", async () => {
    const later = new Date(ANOMALY_DAY.getTime() + 3 * 24 * 3_600_000);
    const laterRange = { since: later.toISOString(), until: new Date(later.getTime() + 24 * 3_600_000).toISOString() };
    expect((await ask(ANOMALIES, laterRange)).auditAnomalies).toEqual([]);
    expect((await ask(SUMMARY, laterRange)).auditSummary.topApps).toEqual([]);
    // Five reads of five citizens at 02:00 in Shanghai, in an hour the previous views kept.
    const seed = (await import("../support/seedAnomalies.ts")).anomalySeed().find((entry) => entry.app === "app:night-owl")!;
    const night = new Date(later.getTime() + 18 * 3_600_000);
    await Promise.all(
      Array.from({ length: 5 }, (_, i) => system.gateway.audit.writer.write({ ...seed, app: "app:late-owl", requestId: `late-owl-${i}`, time: new Date(night.getTime() + i * 60_000), citizens: [`pseudonym-owl-${i}`] })),
    );
    const { auditAnomalies } = await ask(ANOMALIES, laterRange);
    expect(auditAnomalies.map((flag: { rule: string; app: string; records: unknown[] }) => [flag.rule, flag.app, flag.records.length])).toEqual([["OFF_HOURS", "app:late-owl", 5]]);
    const prisma = system.gateway.audit.database.prisma;
    const range = { since: new Date(laterRange.since), until: new Date(laterRange.until) };
    expect(await detectAuditAnomalies(prisma, range, DEFAULT_ANOMALY_THRESHOLDS)).toEqual(await detectAuditAnomaliesAfresh(prisma, range, DEFAULT_ANOMALY_THRESHOLDS));
    const { auditSummary } = await ask(SUMMARY, laterRange);
    expect(auditSummary.topApps).toEqual([{ app: "app:late-owl", citizens: 5, reads: 5 }]);
    expect(auditSummary.series.filter((row: { app: string }) => row.app === "app:late-owl")).toEqual([
      { hour: night.toISOString(), app: "app:late-owl", purpose: "NIGHT_CHECK", requests: 5, reads: 5, denials: 0 },
    ]);
  });

  it("keeps a range's distinct citizens per app up to date from the citizens new to it, whoever refreshed the rollups", async () => {
    const day = new Date(ANOMALY_DAY.getTime() + 5 * 24 * 3_600_000);
    const dayRange = { since: day.toISOString(), until: new Date(day.getTime() + 24 * 3_600_000).toISOString() };
    const seed = (await import("../support/seedAnomalies.ts")).anomalySeed().find((entry) => entry.app === "app:night-owl")!;
    let n = 0;
    const read = (app: string, hoursIn: number, citizens: string[]) =>
      system.gateway.audit.writer.write({ ...seed, app, purpose: "REACH_CHECK", requestId: `reach-${n++}`, time: new Date(day.getTime() + hoursIn * 3_600_000), citizens });
    const topApps = async () => (await ask(SUMMARY, dayRange)).auditSummary.topApps.map((row: { app: string; citizens: number }) => [row.app, row.citizens]);
    expect(await topApps()).toEqual([]);

    await read("app:reach-a", 2, ["pseudonym-c1", "pseudonym-c2"]);
    await read("app:reach-b", 3, ["pseudonym-c1"]);
    expect(await topApps()).toEqual([["app:reach-a", 2], ["app:reach-b", 1]]);

    // c1 again in another hour of the range (already counted), c3 new, c4 before the range (not in it), c2 new to reach-b.
    await read("app:reach-a", 5, ["pseudonym-c1", "pseudonym-c3"]);
    await read("app:reach-a", -2, ["pseudonym-c4"]);
    await read("app:reach-b", 7, ["pseudonym-c2"]);
    await read("app:reach-b", 8, ["pseudonym-c2"]);
    // Another process (here the Prisma client, with its own memory) rolls these up before the gateway's next view.
    const prisma = system.gateway.audit.database.prisma;
    const elsewhere = await summarizeAudit(prisma, { since: day, until: new Date(dayRange.until), topApps: 3 }, () => null);
    expect(elsewhere.topApps.map((row) => [row.app, row.citizens])).toEqual([["app:reach-a", 3], ["app:reach-b", 2]]);
    expect(await topApps()).toEqual([["app:reach-a", 3], ["app:reach-b", 2]]);

    // c4, so far only before the range, now inside it; a record that released nothing adds no one.
    await read("app:reach-a", 9, ["pseudonym-c4"]);
    await system.gateway.audit.writer.write({ ...seed, app: "app:reach-b", purpose: "REACH_CHECK", requestId: `reach-${n++}`, time: new Date(day.getTime() + 9 * 3_600_000), citizens: ["pseudonym-c9"], dataReleased: false, outcome: "DENIED" });
    expect(await topApps()).toEqual([["app:reach-a", 4], ["app:reach-b", 2]]);
    // The same as counting the range afresh in the database.
    const afresh = await prisma.$queryRawUnsafe<Array<{ app: string; citizens: number }>>(
      `SELECT "app", count(DISTINCT "citizen")::int AS "citizens" FROM "audit_rollup_citizen" WHERE "hour" >= $1 AND "hour" < $2 GROUP BY 1 ORDER BY 2 DESC, 1`,
      day,
      new Date(dayRange.until),
    );
    expect(afresh.map((row) => [row.app, row.citizens])).toEqual(await topApps());
  });

  it("keeps a range's threshold probing up to date from the citizens probed since, whoever refreshed the rollups", async () => {
    const day = new Date(ANOMALY_DAY.getTime() + 6 * 24 * 3_600_000);
    const dayRange = { since: day, until: new Date(day.getTime() + 24 * 3_600_000) };
    const seed = (await import("../support/seedAnomalies.ts")).anomalySeed().find((entry) => entry.app === "app:night-owl")!;
    let n = 0;
    const probe = (citizen: string, hoursIn: number, amount: string) =>
      system.gateway.audit.writer.write({
        ...seed, app: "app:bisector", purpose: "LOAN_PRECHECK", requestId: `bisect-${n++}`, time: new Date(day.getTime() + hoursIn * 3_600_000), citizens: [citizen],
        verifications: [{ coordinate: "Citizen.incomeAtLeast", citizen, arguments: { year: 2025, amount } }],
      });
    const probing = async () =>
      (await ask(ANOMALIES, { since: dayRange.since.toISOString(), until: dayRange.until.toISOString() })).auditAnomalies
        .filter((flag: { rule: string }) => flag.rule === "THRESHOLD_PROBING")
        .map((flag: { citizenPseudonym: string; observed: number; since: string; until: string }) => [flag.citizenPseudonym, flag.observed, flag.since, flag.until]);
    const hour = (h: number) => new Date(day.getTime() + h * 3_600_000).toISOString();
    for (const amount of ["1", "2", "3"]) await probe("pseudonym-p1", 1, amount);
    expect(await probing()).toEqual([]);
    // A fourth distinct amount two hours later crosses the threshold (4); a repeat adds nothing.
    await probe("pseudonym-p1", 3, "4");
    await probe("pseudonym-p1", 3, "1");
    expect(await probing()).toEqual([["pseudonym-p1", 4, hour(1), hour(4)]]);
    // Rolled up by another process first: a fifth amount, and a second citizen probed four times.
    await probe("pseudonym-p1", 5, "5");
    for (const amount of ["1", "2", "3", "4"]) await probe("pseudonym-p2", 6, amount);
    const prisma = system.gateway.audit.database.prisma;
    const elsewhere = await detectAuditAnomalies(prisma, dayRange, DEFAULT_ANOMALY_THRESHOLDS);
    expect(elsewhere.filter((flag) => flag.rule === "THRESHOLD_PROBING").map((flag) => [flag.scope.citizen, flag.observed])).toEqual([["pseudonym-p1", 5], ["pseudonym-p2", 4]]);
    expect(await probing()).toEqual([["pseudonym-p1", 5, hour(1), hour(6)], ["pseudonym-p2", 4, hour(6), hour(7)]]);
    // And the same as the rules run afresh on the database.
    const afresh = await detectAuditAnomaliesAfresh(prisma, dayRange, DEFAULT_ANOMALY_THRESHOLDS);
    expect(await detectAuditAnomalies(prisma, dayRange, DEFAULT_ANOMALY_THRESHOLDS)).toEqual(afresh);
  });

  it("answers a range's summary and flags asked at once from one roll-up, as each alone would", async () => {
    const { session } = system.gateway.audit.database;
    // A source that counts the roll-ups it is asked for (a fresh one: its views share nothing with the gateway's).
    let advances = 0;
    const counting = { ...session, query: <Row>(sql: string, params?: unknown[], prepareAs?: string) => ((advances += Number(sql.includes("audit_rollup_advance"))), session.query<Row>(sql, params, prepareAs)) };
    const day = { since: ANOMALY_DAY, until: DAY_END };
    const summaryAlone = await summarizeAudit(session, { ...day, topApps: 3 }, () => null);
    const flagsAlone = await detectAuditAnomalies(session, day, DEFAULT_ANOMALY_THRESHOLDS);
    const [summary, flags] = await Promise.all([summarizeAudit(counting, { ...day, topApps: 3 }, () => null), detectAuditAnomalies(counting, day, DEFAULT_ANOMALY_THRESHOLDS)]);
    expect(advances).toBe(1);
    expect(summary).toEqual(summaryAlone);
    expect(flags).toEqual(flagsAlone);
    expect(flags.length).toBeGreaterThan(0);
    // Asked one after the other, each view rolls up again (a later view sees later records).
    await summarizeAudit(counting, { ...day, topApps: 3 }, () => null);
    await detectAuditAnomalies(counting, day, DEFAULT_ANOMALY_THRESHOLDS);
    expect(advances).toBe(3);
    // A caller that fails in a shared view fails alone.
    const [failed, again] = await Promise.allSettled([
      viewRollups(counting, ANOMALY_DAY.getTime(), DAY_END.getTime(), async () => {
        throw new Error("this caller's own failure");
      }),
      summarizeAudit(counting, { ...day, topApps: 3 }, () => null),
    ]);
    expect(advances).toBe(4);
    expect(failed).toMatchObject({ status: "rejected", reason: { message: "this caller's own failure" } });
    expect(again).toEqual({ status: "fulfilled", value: summaryAlone });
  });

  it("rolls up each record exactly once while refreshes run at once on several connections and records keep coming", async () => {
    const { prisma, session } = system.gateway.audit.database;
    const seed = (await import("../support/seedAnomalies.ts")).anomalySeed().find((entry) => entry.app === "app:night-owl")!;
    const day = new Date(ANOMALY_DAY.getTime() + 7 * 24 * 3_600_000);
    const writes = Array.from({ length: 120 }, (_, i) =>
      system.gateway.audit.writer.write({ ...seed, app: `app:race-${i % 3}`, purpose: "RACE_CHECK", requestId: `race-${i}`, time: new Date(day.getTime() + (i % 5) * 3_600_000), citizens: [`pseudonym-r${i % 7}`] }),
    );
    const refreshes = Array.from({ length: 12 }, (_, i) => refreshAuditRollups(i % 2 ? prisma : session));
    await Promise.all([...writes, ...refreshes]);
    await refreshAuditRollups(session);
    const [rolled] = await prisma.$queryRawUnsafe<Array<{ requests: bigint; citizens: bigint }>>(
      `SELECT (SELECT sum("requests") FROM "audit_rollup_hour" WHERE "app" LIKE 'app:race-%') AS "requests",
              (SELECT sum("citizens") FROM "audit_rollup_reach" WHERE "app" LIKE 'app:race-%') AS "citizens"`,
    );
    expect(Number(rolled!.requests)).toBe(120);
    // Distinct (hour, app, citizen): i % 5, i % 3 and i % 7 repeat together every 105 records.
    expect(Number(rolled!.citizens)).toBe(105);
    const [state] = await prisma.$queryRawUnsafe<Array<{ rolled: bigint; head: bigint }>>(
      `SELECT (SELECT "seq" FROM "audit_rollup_state" WHERE "id" = 1) AS "rolled", (SELECT "seq" FROM "audit_chain_head" WHERE "id") AS "head"`,
    );
    expect(state!.rolled).toBe(state!.head);
  });

  it("refuses a token without audit:read, and a reversed range", async () => {
    const nosy = await signDevToken({ key: system.issuerKey, issuer: DEV_TOKEN_ISSUER, audience: DEFAULT_TOKEN_AUDIENCE, subject: "app:nosy", scopes: ["civil-affairs:identity"], purpose: "CURIOSITY" });
    const refused = await postGraphQL(system.gatewayUrl, ANOMALIES, range, { authorization: `Bearer ${nosy}` });
    expect(refused.body.errors?.[0]?.extensions?.code).toBe("FORBIDDEN");
    const reversed = await postGraphQL(system.gatewayUrl, SUMMARY, { since: range.until, until: range.since }, { authorization: `Bearer ${auditor}` });
    expect(reversed.body.errors?.[0]?.extensions?.code).toBe("BAD_USER_INPUT");
  });
});
