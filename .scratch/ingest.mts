import pg from "pg";
import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { openAuditLog } from "/work/wt/auditscale/gateway/audit/openAuditLog.ts";
import { verifyAuditChain } from "/work/wt/auditscale/gateway/audit/verifyAuditChain.ts";
import { ensureDevKeys, publicJwksOfPrivateKey } from "/work/wt/auditscale/platform/security/keys.ts";
const url = "postgres://postgres@127.0.0.1:5432/";
const name = "auditscale_ingest";
const admin = new pg.Client({ connectionString: url + "postgres" }); await admin.connect();
await admin.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`); await admin.end();
const keys = await ensureDevKeys(mkdtempSync(join(tmpdir(), "ing-")));
const log = await openAuditLog({ auditDatabase: { kind: "postgres", url: url + name, databaseName: name } as any, auditPseudonymKeyPath: keys.auditPseudonymKey });
const times: Record<string, number[]> = {};
const q = log.database.session.query.bind(log.database.session);
(log.database.session as any).query = async (sql: string, params?: unknown[]) => { const k = sql.includes("emit") ? "flush" : sql.includes("audit_chain_head SET") ? "append" : "other"; const t = performance.now(); try { return await q(sql, params); } finally { (times[k] ??= []).push(performance.now() - t); } };
const secs = Number(process.argv[2] ?? 5);
const entry = (p: number, i: number) => ({ time: new Date(), requestId: `b-${p}-${i}`, app: "app:x", tokenId: "t", purpose: "P", operationName: "Op", operationHash: "0".repeat(64), citizens: [String(p * 1000 + i % 1000).padStart(64, "a")], requestedFields: ["Citizen.name", "Query.citizen"], grantedFields: ["Citizen.name", "Query.citizen"], deniedFields: [], outcome: "ALLOWED" as const, dataReleased: true, errorCodes: [], subgraphs: ["civil-affairs"], latencyMs: 12, clientAddress: "127.0.0.1" });
for (const round of [1, secs]) {
  const cpu0 = process.cpuUsage();
  const lat: number[] = []; const t0 = performance.now(); const deadline = t0 + round * 1000; const s0 = log.writer.stats();
  await Promise.all(Array.from({ length: 64 }, async (_, p) => { for (let i = 0; performance.now() < deadline; i++) { const s = performance.now(); await log.writer.write(entry(p, i)); lat.push(performance.now() - s); } }));
  const sec = (performance.now() - t0) / 1000; lat.sort((a, b) => a - b); const s1 = log.writer.stats();
  console.log(`${round}s: ${Math.round(lat.length / sec)}/s p50 ${lat[lat.length >> 1]!.toFixed(1)} p99 ${lat[Math.floor(lat.length * 0.99)]!.toFixed(1)} commits ${s1.commits - s0.commits} mean ${(lat.length / (s1.commits - s0.commits)).toFixed(1)} largest ${s1.largestBatch} retries ${s1.retries} nodecpu ${((process.cpuUsage(cpu0).user + process.cpuUsage(cpu0).system) / 1e6 / sec).toFixed(2)} cores`);
}
for (const [k, v] of Object.entries(times)) { v.sort((a, b) => a - b); console.log(k, v.length, "p50", v[v.length >> 1]!.toFixed(2), "p90", v[Math.floor(v.length * 0.9)]!.toFixed(2)); }
const v = await verifyAuditChain({ session: log.database.session, gatewayJwks: publicJwksOfPrivateKey(keys.gatewayPrivate), headsPath: "/nonexistent" });
console.log("verify", v.ok, v.records, v.problem);
await log.database.close();
