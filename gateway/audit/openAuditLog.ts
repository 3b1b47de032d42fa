/**
 * Opens the gateway's audit database (creating and migrating it if needed)
 * with its group-commit writer and citizen pseudonymizer: what the gateway
 * and the audit tools (`npm run audit`) share.
 */
import { readFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { openDatabase, type Database } from "../../platform/database/openDatabase.ts";
import type { GatewayConfig } from "../config.ts";
import { publicJwksOfPrivateKey } from "../../platform/security/keys.ts";
import { applyAuditRetention } from "./auditArchive.ts";
import { ensureAuditPartitions } from "./auditPartitions.ts";
import { createAuditWriter, type AuditWriter, type AuditWriterOptions } from "./createAuditWriter.ts";
import { createCitizenPseudonymizer } from "./createCitizenPseudonymizer.ts";
import { PrismaClient as AuditPrismaClient } from "./prisma/generated/client.ts";

const AUDIT_MIGRATIONS = fileURLToPath(new URL("./prisma/migrations", import.meta.url));

export interface AuditLog {
  database: Database<AuditPrismaClient>;
  writer: AuditWriter;
  pseudonymize(citizenId: string): string;
}

export async function openAuditLog(
  config: Pick<GatewayConfig, "auditDatabase" | "auditPseudonymKeyPath"> & Partial<Pick<GatewayConfig, "auditRetentionMonths" | "signingKeyPath">>,
  options: { onCommit?: AuditWriterOptions["onCommit"] } = {},
): Promise<AuditLog> {
  const database = await openDatabase({
    location: config.auditDatabase,
    migrationsDir: AUDIT_MIGRATIONS,
    createClient: (options) => new AuditPrismaClient(options),
    // Fail closed fast when the audit database is unreachable.
    connectTimeoutMs: 2_000,
  });
  const ensurePartitions = () => ensureAuditPartitions(database.session).then(() => {});
  await ensurePartitions();
  // Daily: months ahead stay created (a failure is retried the next day, or by the writer), and
  // with AUDIT_RETENTION_MONTHS, months past it are dropped once archived and verified.
  const { auditRetentionMonths, signingKeyPath } = config;
  const maintain = async () => {
    await ensurePartitions();
    if (auditRetentionMonths !== undefined && signingKeyPath) {
      await applyAuditRetention({ session: database.session, retentionMonths: auditRetentionMonths, gatewayJwks: publicJwksOfPrivateKey(signingKeyPath) });
    }
  };
  if (auditRetentionMonths !== undefined) await maintain().catch(() => {});
  setInterval(() => maintain().catch(() => {}), 86_400_000).unref();
  return {
    database,
    writer: createAuditWriter({
      session: database.session,
      onMissingPartition: ensurePartitions,
      onCommit: options.onCommit,
      flushAfterCommit: config.auditDatabase.kind === "postgres",
    }),
    pseudonymize: createCitizenPseudonymizer(readFileSync(config.auditPseudonymKeyPath, "utf8").trim()),
  };
}
