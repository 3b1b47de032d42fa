/**
 * Opens the gateway's audit database (creating and migrating it if needed)
 * with its group-commit writer and citizen pseudonymizer: what the gateway
 * and the audit tools (`npm run audit`) share.
 */
import { readFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { openDatabase, type Database } from "../../platform/database/openDatabase.ts";
import type { GatewayConfig } from "../config.ts";
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
  config: Pick<GatewayConfig, "auditDatabase" | "auditPseudonymKeyPath">,
  options: { onCommit?: AuditWriterOptions["onCommit"] } = {},
): Promise<AuditLog> {
  const database = await openDatabase({
    location: config.auditDatabase,
    migrationsDir: AUDIT_MIGRATIONS,
    createClient: (options) => new AuditPrismaClient(options),
    // Fail closed fast when the audit database is unreachable.
    connectTimeoutMs: 2_000,
  });
  return {
    database,
    writer: createAuditWriter({ session: database.session, onCommit: options.onCommit }),
    pseudonymize: createCitizenPseudonymizer(readFileSync(config.auditPseudonymKeyPath, "utf8").trim()),
  };
}
