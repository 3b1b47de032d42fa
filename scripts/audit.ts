// Audit log tools:
//   npm run audit -- verify [--full] [--jwks F] [--json]
//   npm run audit -- list [--app A] [--citizen ID] [--field F] [--purpose P] [--outcome O] [--since T] [--until T] [--limit N] [--json]
//   npm run audit -- anomalies [--since T] [--until T] [--json]
//   npm run audit -- archive --month YYYY-MM [--dir D] [--json]
//   npm run audit -- verify-archive FILE [--jwks F] [--json]
//   npm run audit -- retention [--months N] [--json]
//   npm run audit -- check-citizens [--month YYYY-MM] [--json]
import { resolve } from "node:path";
import { checkCitizenRows, type CitizenRowsCheck } from "../gateway/audit/checkCitizenRows.ts";
import { archiveAuditMonth, applyAuditRetention, verifyAuditArchive } from "../gateway/audit/auditArchive.ts";
import { readGatewayConfig, type GatewayConfig } from "../gateway/config.ts";
import { openAuditLog } from "../gateway/audit/openAuditLog.ts";
import { queryAuditRecords, type AuditRecordFilter } from "../gateway/audit/queryAuditRecords.ts";
import { verifyAuditChain, type ChainVerification } from "../gateway/audit/verifyAuditChain.ts";
import { detectAuditAnomalies } from "../gateway/audit/insights/detectAuditAnomalies.ts";
import { queryAnomalyRecords } from "../gateway/audit/insights/queryAnomalyRecords.ts";
import { devKeyPaths, loadJwks, loadSigningKey } from "../platform/security/keys.ts";
import { signDevToken } from "../platform/security/signDevToken.ts";
import { isResidentId } from "../platform/standard/residentId.ts";

const COMMANDS = ["verify", "list", "anomalies", "archive", "verify-archive", "retention", "check-citizens"] as const;
const USAGE = `usage: npm run audit -- verify [--full] | list [--app A] [--citizen ID] [--field F] [--purpose P] [--outcome O] [--since T] [--until T] [--limit N]
       | anomalies [--since T] [--until T] | archive --month YYYY-MM [--dir D] | verify-archive FILE | retention [--months N]
       | check-citizens [--month YYYY-MM]   (each with [--jwks F] [--json])`;

interface Options {
  command: (typeof COMMANDS)[number];
  flags: Map<string, string>;
  json: boolean;
  full: boolean;
  file?: string;
}

function parseArguments(argv: string[]): Options {
  const [command, ...rest] = argv;
  if (!COMMANDS.includes(command as Options["command"])) throw new Error(USAGE);
  const flags = new Map<string, string>();
  let json = false;
  let full = false;
  let file: string | undefined;
  for (let i = 0; i < rest.length; i++) {
    const name = rest[i]!;
    if (name === "--json") json = true;
    else if (name === "--full" && command === "verify") full = true;
    else if (["--app", "--citizen", "--field", "--purpose", "--outcome", "--since", "--until", "--limit", "--jwks", "--month", "--dir", "--months"].includes(name) && rest[i + 1] !== undefined) flags.set(name.slice(2), rest[++i]!);
    else if (command === "verify-archive" && file === undefined && !name.startsWith("--")) file = name;
    else throw new Error(`unknown or incomplete option ${name}\n${USAGE}`);
  }
  if (command === "verify-archive" && !file) throw new Error(`verify-archive needs the archive file\n${USAGE}`);
  if (command === "archive" && !flags.has("month")) throw new Error(`archive needs --month YYYY-MM\n${USAGE}`);
  return { command: command as Options["command"], flags, json, full, file };
}

/** On the embedded default the running gateway holds the PGlite database: ask it instead. */
async function runningGatewayUrl(config: GatewayConfig): Promise<string | null> {
  if (config.auditDatabase.kind !== "pglite") return null;
  const url = `http://${config.host}:${config.port}`;
  try {
    await fetch(`${url}/health`, { signal: AbortSignal.timeout(1000) });
    return `${url}/graphql`;
  } catch {
    return null;
  }
}

async function viaGateway(url: string, config: GatewayConfig, query: string, variables: object): Promise<any> {
  const keys = devKeyPaths(resolve(process.env.DATA_DIR ?? ".data"));
  const token = await signDevToken({
    key: await loadSigningKey(keys.issuerPrivate),
    issuer: config.tokenIssuer,
    audience: config.tokenAudience,
    subject: "app:audit-cli",
    scopes: ["audit:read"],
    purpose: "AUDIT_REVIEW",
    ttlSeconds: 120,
  });
  const response = await fetch(url, {
    method: "POST",
    headers: { "content-type": "application/json", authorization: `Bearer ${token}` },
    body: JSON.stringify({ query, variables }),
  });
  const body = (await response.json()) as { data?: any; errors?: Array<{ message: string }> };
  if (body.errors?.length) throw new Error(body.errors.map((e) => e.message).join("; "));
  return body.data;
}

function filterOf(flags: Map<string, string>): Omit<AuditRecordFilter, "citizenPseudonym"> & { citizen?: string } {
  const citizen = flags.get("citizen");
  if (citizen !== undefined && !isResidentId(citizen)) throw new Error(`--citizen ${citizen} is not a valid resident id`);
  const date = (name: string) => {
    const value = flags.get(name);
    if (value === undefined) return undefined;
    const parsed = new Date(value);
    if (Number.isNaN(parsed.getTime())) throw new Error(`--${name} must be a date or ISO time`);
    return parsed;
  };
  return {
    app: flags.get("app"),
    citizen,
    field: flags.get("field"),
    purpose: flags.get("purpose"),
    outcome: flags.get("outcome") as AuditRecordFilter["outcome"],
    since: date("since"),
    until: date("until"),
  };
}

function printVerification(result: ChainVerification, json: boolean): void {
  if (json) console.log(JSON.stringify(result));
  else if (result.ok) {
    const scope = result.incremental ? ` (${result.checked} checked from seq ${result.fromSeq}, after the last verified signed head)` : result.fromSeq !== "1" ? ` (from seq ${result.fromSeq}, after the archived months)` : "";
    console.log(`audit chain verifies: ${result.records} records, ${result.signedHeads} signed heads${scope}`);
  } else console.error(`audit chain BROKEN at record ${result.firstBadSeq ?? "?"}: ${result.problem}`);
}

function printRecords(records: Array<Record<string, unknown>>, json: boolean): void {
  if (json) {
    for (const record of records) console.log(JSON.stringify(record, (_k, v) => (typeof v === "bigint" ? v.toString() : v)));
    return;
  }
  for (const r of records) {
    const time = r.time instanceof Date ? r.time.toISOString() : String(r.time);
    console.log(`${String(r.seq).padStart(6)} ${time} ${String(r.outcome).padEnd(15)} ${r.app ?? "-"} purpose=${r.purpose ?? "-"} fields=${(r.requestedFields as string[]).join(",")}${(r.deniedFields as string[]).length ? ` denied=${(r.deniedFields as string[]).join(",")}` : ""}`);
  }
}

function printCitizenRows(result: CitizenRowsCheck, json: boolean): void {
  if (json) return console.log(JSON.stringify(result));
  for (const month of result.months) {
    const name = month.month ?? "all months";
    if (month.missing === 0 && month.unbacked === 0) console.log(`${name}: ${month.records} records, ${month.rows} citizens' rows, in step`);
    else {
      console.error(`${name}: OUT OF STEP: ${month.missing} citizens named by a record with no row (hidden from their reads), ${month.unbacked} rows no record backs`);
      for (const example of month.examples) console.error(`  ${example}`);
    }
  }
}

/** One flag as the CLI prints it: the rule, what it saw, and the seq of each record behind it. */
interface PrintedFlag {
  rule: string;
  app: string;
  purpose: string | null;
  citizenPseudonym: string | null;
  fields: string[];
  since: string;
  until: string;
  observed: number;
  threshold: number;
  summary: string;
  records: string[];
}

function printAnomalies(flags: PrintedFlag[], json: boolean): void {
  if (json) {
    for (const flag of flags) console.log(JSON.stringify(flag));
    return;
  }
  if (flags.length === 0) console.log("no anomalies");
  for (const flag of flags) {
    console.log(`${flag.rule.padEnd(17)} ${flag.since} ${flag.summary}`);
    console.log(`${"".padEnd(17)} records: ${flag.records.join(" ")}`);
  }
}

const ANOMALIES_QUERY = `query ($since: DateTime, $until: DateTime) { auditAnomalies(since: $since, until: $until) {
  rule app purpose citizenPseudonym fields since until observed threshold summary records(first: 500) { seq } } }`;

function anomalyRange(flags: Map<string, string>): { since: Date; until: Date } {
  const date = (name: string, fallback: Date) => {
    const value = flags.get(name);
    if (value === undefined) return fallback;
    const parsed = new Date(value);
    if (Number.isNaN(parsed.getTime())) throw new Error(`--${name} must be a date or ISO time`);
    return parsed;
  };
  const until = date("until", new Date());
  const since = date("since", new Date(until.getTime() - 24 * 3_600_000));
  if (since >= until) throw new Error("--since must be before --until");
  return { since, until };
}

const LIST_QUERY = `query ($filter: AuditRecordFilter, $first: Int) { auditRecords(filter: $filter, first: $first) { records {
  seq time requestId app tokenId purpose operationName operationHash citizenPseudonyms requestedFields grantedFields deniedFields
  outcome dataReleased errorCodes subgraphs latencyMs clientAddress prevHash hash } } }`;

async function main(): Promise<void> {
  const options = parseArguments(process.argv.slice(2));
  const config = readGatewayConfig();
  const limit = Number(options.flags.get("limit") ?? 50);
  const jwksPath = () => options.flags.get("jwks") ?? devKeyPaths(resolve(process.env.DATA_DIR ?? ".data")).gatewayJwks;
  if (options.command === "verify-archive") {
    // Offline: the archive, its manifest (and the previous month's beside it) and the gateway's public keys.
    const result = await verifyAuditArchive(resolve(options.file!), loadJwks(jwksPath()));
    if (options.json) console.log(JSON.stringify(result));
    else if (result.ok) console.log(`archive of ${result.month} verifies: ${result.records} records, seq ${result.firstSeq}..${result.lastSeq}, linked to the month before`);
    else console.error(`archive BROKEN${result.firstBadSeq ? ` at record ${result.firstBadSeq}` : ""}: ${result.problem}`);
    if (!result.ok) process.exitCode = 2;
    return;
  }
  const gateway = await runningGatewayUrl(config);
  if (gateway) {
    if (options.command === "archive" || options.command === "retention" || options.command === "check-citizens" || options.full) {
      throw new Error(`the running gateway holds the embedded database: stop it to run ${options.command}${options.full ? " --full" : ""}`);
    }
    if (options.command === "anomalies") {
      const range = anomalyRange(options.flags);
      const { auditAnomalies } = await viaGateway(gateway, config, ANOMALIES_QUERY, { since: range.since.toISOString(), until: range.until.toISOString() });
      printAnomalies(auditAnomalies.map((flag: Omit<PrintedFlag, "records"> & { records: Array<{ seq: string }> }) => ({ ...flag, records: flag.records.map((r) => r.seq) })), options.json);
    } else if (options.command === "verify") {
      const { auditChain } = await viaGateway(gateway, config, "{ auditChain { ok records signedHeads firstBadRecord problem } }", {});
      const result: ChainVerification = { ...auditChain, firstBadSeq: auditChain.firstBadRecord };
      printVerification(result, options.json);
      if (!result.ok) process.exitCode = 2;
    } else {
      const { auditRecords } = await viaGateway(gateway, config, LIST_QUERY, { filter: filterOf(options.flags), first: limit });
      printRecords(auditRecords.records, options.json);
    }
    return;
  }
  const audit = await openAuditLog(config);
  try {
    if (options.command === "anomalies") {
      const prisma = audit.database.prisma;
      const flags = await detectAuditAnomalies(prisma, anomalyRange(options.flags), config.anomalies);
      const printed: PrintedFlag[] = [];
      for (const flag of flags) {
        const records = await queryAnomalyRecords(prisma, flag.scope, 500);
        printed.push({
          rule: flag.rule,
          app: flag.scope.app,
          purpose: flag.scope.purpose ?? null,
          citizenPseudonym: flag.scope.citizen ?? null,
          fields: flag.scope.fields ?? [],
          since: flag.scope.since.toISOString(),
          until: flag.scope.until.toISOString(),
          observed: flag.observed,
          threshold: flag.threshold,
          summary: flag.summary,
          records: records.map((record) => record.seq.toString()),
        });
      }
      printAnomalies(printed, options.json);
    } else if (options.command === "verify") {
      const result = await verifyAuditChain({
        session: audit.database.session,
        gatewayJwks: loadJwks(jwksPath()),
        headsPath: config.auditHeadsPath,
        mode: options.full ? "full" : "incremental",
      });
      printVerification(result, options.json);
      if (!result.ok) process.exitCode = 2;
    } else if (options.command === "archive") {
      const { file, manifestFile, manifest } = await archiveAuditMonth({
        session: audit.database.session,
        month: options.flags.get("month")!,
        dir: options.flags.get("dir") ?? config.auditArchiveDir,
        key: await loadSigningKey(config.signingKeyPath),
        gatewayJwks: loadJwks(jwksPath()),
      });
      if (options.json) console.log(JSON.stringify({ ...manifest, file, manifestFile }));
      else console.log(`archived ${manifest.month}: ${manifest.count} records, seq ${manifest.firstSeq}..${manifest.lastSeq}, to ${file} (manifest ${manifestFile}), verified`);
    } else if (options.command === "check-citizens") {
      const month = options.flags.get("month");
      if (month !== undefined && !/^\d{4}-(0[1-9]|1[0-2])$/.test(month)) throw new Error(`--month ${month} is not YYYY-MM`);
      const result = await checkCitizenRows(audit.database.session, { month });
      printCitizenRows(result, options.json);
      if (!result.ok) process.exitCode = 2;
    } else if (options.command === "retention") {
      const months = Number(options.flags.get("months") ?? config.auditRetentionMonths ?? NaN);
      if (!Number.isInteger(months) || months < 1) throw new Error("retention needs --months N or AUDIT_RETENTION_MONTHS (a whole number of months, at least 1)");
      const result = await applyAuditRetention({ session: audit.database.session, retentionMonths: months, gatewayJwks: loadJwks(jwksPath()) });
      if (options.json) console.log(JSON.stringify(result));
      else {
        console.log(result.dropped.length ? `dropped ${result.dropped.join(", ")}` : "no month dropped");
        for (const kept of result.kept) console.log(`kept ${kept.month}: ${kept.reason}`);
      }
    } else {
      const { citizen, ...filter } = filterOf(options.flags);
      const page = await queryAuditRecords(
        audit.database.prisma,
        { ...filter, citizenPseudonym: citizen ? audit.pseudonymize(citizen) : undefined },
        { first: limit },
      );
      printRecords(page.records as unknown as Array<Record<string, unknown>>, options.json);
    }
  } finally {
    await audit.database.close();
  }
}

main().catch((error) => {
  console.error(`audit: ${error instanceof Error ? error.message : error}`);
  process.exit(1);
});
