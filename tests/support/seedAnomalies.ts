/**
 * Audit records, written through the gateway's own audit writer, that make
 * each anomaly rule fire once in the day starting at ANOMALY_DAY, beside
 * records that come close and must not. Baselines fill the 7 days before.
 * Service hours are the default 8–20 in Asia/Shanghai, i.e. 00:00–12:00 UTC.
 */
import type { AuditEntry } from "../../gateway/audit/AuditEntry.ts";
import type { AuditWriter } from "../../gateway/audit/createAuditWriter.ts";

/** The day the flags are in (UTC midnight). */
export const ANOMALY_DAY = new Date("2026-03-09T00:00:00Z");
const HOUR = 3_600_000;
const DAY = 24 * HOUR;

/** A moment in hour `hour` (UTC) of the day `day` days after ANOMALY_DAY (negative: before). */
const at = (day: number, hour: number, minute = 0) => new Date(ANOMALY_DAY.getTime() + day * DAY + hour * HOUR + minute * 60_000);

let requests = 0;

function read(app: string, purpose: string, time: Date, fields: string[], citizens: string[], extra: Partial<AuditEntry> = {}): AuditEntry {
  requests += 1;
  return {
    time,
    requestId: `seed-${requests}`,
    app,
    tokenId: `token-${app}`,
    purpose,
    operationName: "Seeded",
    operationHash: "0".repeat(64),
    citizens,
    requestedFields: fields,
    grantedFields: fields,
    deniedFields: [],
    outcome: "ALLOWED",
    dataReleased: true,
    errorCodes: [],
    subgraphs: ["civil-affairs"],
    latencyMs: 5,
    clientAddress: "127.0.0.1",
    ...extra,
  };
}

function denied(app: string, purpose: string, time: Date, citizens: string[]): AuditEntry {
  return read(app, purpose, time, ["Query.citizen", "Citizen.name"], citizens, {
    grantedFields: [],
    deniedFields: ["Citizen.name"],
    outcome: "DENIED",
    dataReleased: false,
    errorCodes: ["FORBIDDEN"],
  });
}

const NAME = ["Query.citizen", "Citizen.name"];
const HPF = ["Citizen.housingFundAccount", "Citizen.name", "HousingFundAccount.balance", "Query.citizen"];
const CREDIT = ["Citizen.creditReport", "CreditReport.score", "Query.citizen"];
const INCOME = ["Citizen.incomeAtLeast", "Query.citizen"];
const citizen = (name: string) => `pseudonym-${name}`;

function incomeCheck(app: string, who: string, time: Date, amount: string): AuditEntry {
  return read(app, "LOAN_PRECHECK", time, INCOME, [citizen(who)], {
    subgraphs: ["civil-affairs", "tax"],
    verifications: [{ coordinate: "Citizen.incomeAtLeast", citizen: citizen(who), arguments: { year: 2025, amount } }],
  });
}

/** What the seeded day must show, rule by rule, and what it must not. */
export const EXPECTED_FLAGS = [
  { rule: "DISTINCT_CITIZENS", app: "app:bulk-reader", records: 30 },
  { rule: "THRESHOLD_PROBING", app: "app:prober", records: 6 },
  { rule: "DENIAL_RATIO", app: "app:denied", records: 8 },
  { rule: "OFF_HOURS", app: "app:night-owl", records: 6 },
  { rule: "PURPOSE_DRIFT", app: "app:hpf-desk", records: 1 },
] as const;

export function anomalySeed(): AuditEntry[] {
  const entries: AuditEntry[] = [];
  for (let day = -7; day < 0; day++) {
    // Baselines, all inside service hours (02:00–05:00 UTC is 10:00–13:00 in Shanghai).
    for (let i = 0; i < 5; i++) entries.push(read("app:bulk-reader", "BULK_CHECK", at(day, 3, i), NAME, [citizen(`bulk-${day}-${i}`)]));
    for (let i = 0; i < 10; i++) entries.push(read("app:steady-reader", "STEADY_CHECK", at(day, 3, i), NAME, [citizen(`steady-${day}-${i}`)]));
    for (let i = 0; i < 10; i++) {
      entries.push(i === 0 ? denied("app:denied", "DENIAL_CHECK", at(day, 5, i), [citizen("d")]) : read("app:denied", "DENIAL_CHECK", at(day, 5, i), NAME, [citizen("d")]));
    }
    for (let i = 0; i < 10; i++) {
      entries.push(read("app:always-partial", "PARTIAL_CHECK", at(day, 5, i), NAME, [citizen("p")], i % 2 ? {} : { requestedFields: [...NAME, "HousingFundAccount.balance"], deniedFields: ["HousingFundAccount.balance"], outcome: "PARTIAL", errorCodes: ["FORBIDDEN"] }));
    }
    for (let i = 0; i < 5; i++) entries.push(read("app:hpf-desk", "HPF_WITHDRAWAL", at(day, 2, i), HPF, [citizen("h")], { subgraphs: ["civil-affairs", "housing-fund"] }));
  }
  // 1. Distinct citizens: 30 in one hour against a median of 5 (flag); 25 against a median of 10 (no flag: under 3 x 10).
  for (let i = 0; i < 30; i++) entries.push(read("app:bulk-reader", "BULK_CHECK", at(0, 3, i), NAME, [citizen(`bulk-now-${i}`)]));
  for (let i = 0; i < 25; i++) entries.push(read("app:steady-reader", "STEADY_CHECK", at(0, 3, i), NAME, [citizen(`steady-now-${i}`)]));
  // 2. Threshold probing: six amounts for one citizen (flag, bisection); three for another, and one amount six times (no flag).
  for (const [i, amount] of ["100000.00", "50000.00", "75000.00", "62500.00", "68750.00", "65625.00"].entries()) entries.push(incomeCheck("app:prober", "target", at(0, 4, i), amount));
  for (const [i, amount] of ["100000.00", "50000.00", "75000.00"].entries()) entries.push(incomeCheck("app:checker", "someone", at(0, 4, i), amount));
  for (let i = 0; i < 6; i++) entries.push(incomeCheck("app:checker", "repeat", at(0, 4, 10 + i), "80000.00"));
  // 3. Denial ratio: 8 of 12 denied against 10% before (flag); 6 of 10 against 50% (no flag); 5 of 5 under the minimum of 10 requests (no flag).
  for (let i = 0; i < 12; i++) entries.push(i < 8 ? denied("app:denied", "DENIAL_CHECK", at(0, 5, i), [citizen("d")]) : read("app:denied", "DENIAL_CHECK", at(0, 5, i), NAME, [citizen("d")]));
  for (let i = 0; i < 10; i++) {
    entries.push(read("app:always-partial", "PARTIAL_CHECK", at(0, 5, i), NAME, [citizen("p")], i < 6 ? { requestedFields: [...NAME, "HousingFundAccount.balance"], deniedFields: ["HousingFundAccount.balance"], outcome: "PARTIAL", errorCodes: ["FORBIDDEN"] } : {}));
  }
  for (let i = 0; i < 5; i++) entries.push(denied("app:few", "FEW_CHECK", at(0, 5, i), [citizen("f")]));
  // 4. Off-hours: 6 reads at 02:00 Shanghai (flag); 3 at 03:00 (no flag: under 5); 20 at 14:00 (no flag: service hours).
  for (let i = 0; i < 6; i++) entries.push(read("app:night-owl", "NIGHT_CHECK", at(0, 18, i), NAME, [citizen("n")]));
  for (let i = 0; i < 3; i++) entries.push(read("app:night-owl", "NIGHT_CHECK", at(0, 19, i), NAME, [citizen("n")]));
  for (let i = 0; i < 20; i++) entries.push(read("app:day-worker", "DAY_CHECK", at(0, 6, i), NAME, [citizen("w")]));
  // 5. Purpose drift: a credit report under a purpose that read housing fund data 35 times (flag);
  //    the usual fields (no flag); a credit report under a purpose with no history (no flag).
  for (let i = 0; i < 3; i++) entries.push(read("app:hpf-desk", "HPF_WITHDRAWAL", at(0, 2, i), HPF, [citizen("h")], { subgraphs: ["civil-affairs", "housing-fund"] }));
  entries.push(read("app:hpf-desk", "HPF_WITHDRAWAL", at(0, 2, 30), CREDIT, [citizen("h")], { subgraphs: ["civil-affairs", "credit"] }));
  entries.push(read("app:hpf-desk", "NEW_PURPOSE", at(0, 2, 31), CREDIT, [citizen("h")], { subgraphs: ["civil-affairs", "credit"] }));
  return entries;
}

/** Writes the seed through the gateway's writer, as the request path would. */
export async function seedAnomalies(writer: AuditWriter): Promise<number> {
  const entries = anomalySeed();
  await Promise.all(entries.map((entry) => writer.write(entry)));
  return entries.length;
}

/** The day of the flag storm (seedFlagStorm): well after the seeded day and the days the suites look at beside it. */
export const STORM_DAY = new Date(ANOMALY_DAY.getTime() + 10 * DAY);

/**
 * More flags than a page holds: `apps` apps each read 5 times at night in
 * each of `hours` hours (from 16:00 UTC, i.e. midnight in Shanghai) of
 * STORM_DAY, one OFF_HOURS flag per app and hour; the odd-numbered apps
 * read 6 times, so within an hour the flags differ in severity too.
 */
export function flagStormSeed(apps: number, hours: number): AuditEntry[] {
  const entries: AuditEntry[] = [];
  const stormAt = (hour: number, minute: number) => new Date(STORM_DAY.getTime() + hour * HOUR + minute * 60_000);
  for (let hour = 16; hour < 16 + hours; hour++) {
    for (let app = 0; app < apps; app++) {
      const reads = app % 2 ? 6 : 5;
      for (let i = 0; i < reads; i++) entries.push(read(`app:storm-${String(app).padStart(2, "0")}`, "STORM_CHECK", stormAt(hour, i), NAME, [citizen(`storm-${app}`)]));
    }
  }
  return entries;
}

export async function seedFlagStorm(writer: AuditWriter, apps: number, hours: number): Promise<number> {
  const entries = flagStormSeed(apps, hours);
  await Promise.all(entries.map((entry) => writer.write(entry)));
  return entries.length;
}
