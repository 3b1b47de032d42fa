/**
 * The audit log at scale, on the real database (PGlite, or PostgreSQL with
 * DATABASE_URL, where the log is partitioned by month): incremental and full
 * verification, signed monthly archives checked offline, retention dropping
 * only archived months with the chain still verifying from the archived
 * boundary, append-only partitions, and keyset paging across months.
 * Months before the current one are filled with synthetic records that
 * continue the chain (as the bench does), then the real writer adds today's.
 */
import { mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { gunzipSync, gzipSync } from "node:zlib";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { applyAuditRetention, archiveAuditMonth, manifestPathOf, verifyAuditArchive } from "../../gateway/audit/auditArchive.ts";
import type { AuditEntry } from "../../gateway/audit/AuditEntry.ts";
import { isPartitioned, listAuditPartitions } from "../../gateway/audit/auditPartitions.ts";
import { openAuditLog, type AuditLog } from "../../gateway/audit/openAuditLog.ts";
import { queryAuditRecords } from "../../gateway/audit/queryAuditRecords.ts";
import { startChainHeadSigning } from "../../gateway/audit/startChainHeadSigning.ts";
import { verifyAuditChain } from "../../gateway/audit/verifyAuditChain.ts";
import { ensureDevKeys, loadSigningKey, publicJwksOfPrivateKey, type SigningKey } from "../../platform/security/keys.ts";
import { SYNTHETIC_APPS, ensureSyntheticPartitions, insertSyntheticRecords, setChainHead, syntheticAuditRecords } from "../../scripts/bench/syntheticAuditLog.ts";
import { testDatabase, usingPostgres } from "../support/startSystem.ts";
import { auditEntryOf, monthFrom, monthName } from "../support/auditEntryOf.ts";

/** Synthetic records in each of the three months before the current one. */
const PER_MONTH = 400;

const month = monthFrom;


function entry(i: number): AuditEntry {
  return auditEntryOf("scale", i, ["a".repeat(64)]);
}

describe("audit log at scale", () => {
  let log: AuditLog;
  let workDir: string;
  let key: SigningKey;
  let jwks: ReturnType<typeof publicJwksOfPrivateKey>;
  let headsPath: string;
  let written = 0;
  const archiveDir = () => join(workDir, "archive");

  const verify = (mode: "full" | "incremental") => verifyAuditChain({ session: log.database.session, gatewayJwks: jwks, headsPath, mode });
  const asSuperuser = (sql: string) => log.database.session.exec(`BEGIN; SET LOCAL session_replication_role = replica; ${sql}; COMMIT;`);

  async function write(count: number): Promise<void> {
    await Promise.all(Array.from({ length: count }, () => log.writer.write(entry(written++))));
  }

  async function signHead(): Promise<void> {
    const signing = startChainHeadSigning({ session: log.database.session, key, path: headsPath, intervalMs: 3_600_000 });
    await signing.signNow();
    await signing.stop();
  }

  beforeAll(async () => {
    workDir = mkdtempSync(join(tmpdir(), "audit-scale-"));
    const keys = await ensureDevKeys(workDir);
    key = await loadSigningKey(keys.gatewayPrivate);
    jwks = publicJwksOfPrivateKey(keys.gatewayPrivate);
    headsPath = join(workDir, "audit-heads.jsonl");
    log = await openAuditLog({ auditDatabase: await testDatabase("audit_scale", "gateway"), auditPseudonymKeyPath: keys.auditPseudonymKey });
    // Three past months of synthetic records, continuing from the genesis hash; then today's through the writer.
    const from = month(-3);
    const to = new Date(month(0).getTime() - 60_000);
    await ensureSyntheticPartitions(log.database.session, from, to);
    const last = await insertSyntheticRecords(log.database.session, syntheticAuditRecords({ count: PER_MONTH * 3, from, to, seed: 7 }));
    await setChainHead(log.database.session, last!);
    await write(30);
    await signHead();
  });

  afterAll(async () => {
    await log?.database.close();
  });

  it("verifies incrementally from the last verified signed head, covering only the new records", async () => {
    const full = await verify("full");
    expect(full).toMatchObject({ ok: true, records: PER_MONTH * 3 + 30, fromSeq: "1", incremental: false });
    await write(20);
    await signHead();
    const incremental = await verify("incremental");
    expect(incremental).toMatchObject({ ok: true, incremental: true, checked: 20, fromSeq: String(PER_MONTH * 3 + 31), records: PER_MONTH * 3 + 50 });
    // Nothing new: nothing to read.
    expect(await verify("incremental")).toMatchObject({ ok: true, checked: 0 });
  });

  it("catches with --full, and names, a record edited inside the range already verified", async () => {
    const seq = 5;
    const [row] = await log.database.session.query<{ purpose: string }>(`SELECT purpose FROM audit_record WHERE seq = ${seq}`);
    await asSuperuser(`UPDATE audit_record SET purpose = 'EDITED' WHERE seq = ${seq}`);
    try {
      expect((await verify("incremental")).ok).toBe(true); // starts after the checkpoint
      expect(await verify("full")).toMatchObject({ ok: false, firstBadSeq: String(seq), problem: expect.stringMatching(/changed/) });
    } finally {
      await asSuperuser(`UPDATE audit_record SET purpose = '${row!.purpose}' WHERE seq = ${seq}`);
    }
    expect((await verify("full")).ok).toBe(true);
  });

  it("verifies partitions concurrently in storage order: a whole chain passes, and an edit or a broken join between months is named", async () => {
    const parts = (mode: "full" | "incremental" = "full") =>
      verifyAuditChain({ session: log.database.session, gatewayJwks: jwks, headsPath, mode, streams: 3 });
    const whole = await parts();
    expect(whole).toMatchObject({ ok: true, problem: null });
    expect(whole.records).toBe((await verify("full")).records);

    const [top] = await log.database.session.query<{ last: string }>("SELECT max(seq)::text AS last FROM audit_record");
    const late = Number(top!.last) - 3; // in the last part
    const [row] = await log.database.session.query<{ purpose: string; prev_hash: string }>(`SELECT purpose, prev_hash FROM audit_record WHERE seq = ${late}`);
    await asSuperuser(`UPDATE audit_record SET purpose = 'EDITED' WHERE seq = ${late}`);
    try {
      expect(await parts()).toMatchObject({ ok: false, firstBadSeq: String(late), problem: expect.stringMatching(/changed/) });
    } finally {
      await asSuperuser(`UPDATE audit_record SET purpose = '${row!.purpose}' WHERE seq = ${late}`);
    }
    // The first record of last month (its own partition on PostgreSQL) no longer follows the last of the month before.
    const [first] = await log.database.session.query<{ seq: string }>(`SELECT min(seq)::text AS seq FROM audit_record WHERE time >= '${month(-1).toISOString()}'`);
    const join = Number(first!.seq);
    const [joined] = await log.database.session.query<{ prev_hash: string }>(`SELECT prev_hash FROM audit_record WHERE seq = ${join}`);
    await asSuperuser(`UPDATE audit_record SET prev_hash = '${"f".repeat(64)}' WHERE seq = ${join}`);
    try {
      expect(await parts()).toMatchObject({ ok: false, firstBadSeq: String(join), problem: expect.stringMatching(/does not follow/) });
    } finally {
      await asSuperuser(`UPDATE audit_record SET prev_hash = '${joined!.prev_hash}' WHERE seq = ${join}`);
    }
    expect((await parts()).ok).toBe(true);
  });

  it("verifies a log whose storage is out of seq order, as runs or read again in seq order, and still names an edit in it", async () => {
    // Rewriting every other record of last month (same values) moves the new row versions out of seq order in storage.
    const from = month(-1).toISOString();
    const to = month(0).toISOString();
    await asSuperuser(`UPDATE audit_record SET purpose = purpose WHERE time >= '${from}' AND time < '${to}' AND seq % 2 = 0`);
    // With statistics (as autovacuum keeps them) a partition read whole is a sequential scan, in storage order.
    await log.database.session.exec("ANALYZE audit_record");
    const asRuns = await verifyAuditChain({ session: log.database.session, gatewayJwks: jwks, headsPath, mode: "full" });
    const reread = await verifyAuditChain({ session: log.database.session, gatewayJwks: jwks, headsPath, mode: "full", maxRuns: 2 });
    expect(asRuns).toMatchObject({ ok: true, problem: null, rereadInOrder: 0 });
    expect(reread).toMatchObject({ ok: true, problem: null, records: asRuns.records });
    // On PostgreSQL last month's partition now breaks into many runs, so it is read again in seq order (PGlite reads in seq order already).
    if (usingPostgres) expect(reread.rereadInOrder).toBeGreaterThan(0);

    const [row] = await log.database.session.query<{ seq: string; app: string }>(`SELECT seq::text AS seq, app FROM audit_record WHERE time >= '${from}' AND seq % 2 = 0 ORDER BY seq LIMIT 1 OFFSET 7`);
    await asSuperuser(`UPDATE audit_record SET app = 'app:someone-else' WHERE seq = ${row!.seq}`);
    try {
      for (const maxRuns of [undefined, 2]) {
        expect(await verifyAuditChain({ session: log.database.session, gatewayJwks: jwks, headsPath, mode: "full", maxRuns })).toMatchObject({
          ok: false,
          firstBadSeq: row!.seq,
          problem: expect.stringMatching(/changed/),
        });
      }
    } finally {
      await asSuperuser(`UPDATE audit_record SET app = '${row!.app}' WHERE seq = ${row!.seq}`);
    }
  });

  it("verifies records whose text JSON must escape, non-ASCII text, absent values and verification and governance details", async () => {
    const unusual: AuditEntry[] = [
      { ...entry(written++), purpose: 'quote " backslash \\ tab \t newline \n bell \u0007', operationName: "查询公积金 🏠", citizens: [] },
      { ...entry(written++), app: null, tokenId: null, purpose: null, operationName: null, clientAddress: null, errorCodes: ["SUBGRAPH_UNAVAILABLE", "a\"b"] },
      { ...entry(written++), verifications: [{ coordinate: "TaxpayerProfile.incomeAtLeast", citizen: "b".repeat(64), arguments: { z: 1, a: "元", nested: { y: [2, "\n"], b: null } } }] },
      { ...entry(written++), governance: { action: "GRANT", actor: "agency:tax", reason: "审批 \"ok\"", application: "app-1", scopes: ["tax:income"] } },
      { ...entry(written++), verifications: [], governance: null, latencyMs: 0, deniedFields: ["Citizen.spouse"], outcome: "PARTIAL" },
    ];
    for (const record of unusual) await log.writer.write(record);
    await signHead();
    expect(await verify("full")).toMatchObject({ ok: true, problem: null });
    const [row] = await log.database.session.query<{ seq: string }>(`SELECT seq::text AS seq FROM audit_record WHERE request_id = '${unusual[2]!.requestId}'`);
    await asSuperuser(`UPDATE audit_record SET verifications = jsonb_set(verifications, '{0,arguments,z}', '2') WHERE seq = ${row!.seq}`);
    try {
      expect(await verify("full")).toMatchObject({ ok: false, firstBadSeq: row!.seq, problem: expect.stringMatching(/changed/) });
    } finally {
      await asSuperuser(`UPDATE audit_record SET verifications = jsonb_set(verifications, '{0,arguments,z}', '1') WHERE seq = ${row!.seq}`);
    }
    expect((await verify("full")).ok).toBe(true);
  });

  it("archives months as signed gzipped JSON lines that verify offline, linked month to month", async () => {
    const first = await archiveAuditMonth({ session: log.database.session, month: monthName(month(-3)), dir: archiveDir(), key, gatewayJwks: jwks });
    const second = await archiveAuditMonth({ session: log.database.session, month: monthName(month(-2)), dir: archiveDir(), key, gatewayJwks: jwks });
    expect(first.manifest).toMatchObject({ firstSeq: "1", firstPrevHash: "0".repeat(64) });
    expect(Number(second.manifest.firstSeq)).toBe(Number(first.manifest.lastSeq) + 1);
    expect(second.manifest.firstPrevHash).toBe(first.manifest.lastHash);
    expect(first.manifest.count + second.manifest.count).toBeGreaterThan(PER_MONTH);

    const check = await verifyAuditArchive(second.file, jwks);
    expect(check).toMatchObject({ ok: true, month: monthName(month(-2)), records: second.manifest.count });
    const lines = gunzipSync(readFileSync(second.file)).toString("utf8").trim().split("\n");
    expect(lines).toHaveLength(second.manifest.count);
    expect(JSON.parse(lines[0]!)).toMatchObject({ seq: second.manifest.firstSeq, hash: second.manifest.firstHash });

    // Refused: the month still running.
    await expect(archiveAuditMonth({ session: log.database.session, month: monthName(month(0)), dir: archiveDir(), key, gatewayJwks: jwks })).rejects.toThrow(/not over/);
  });

  it("finds a tampered archive: an edited record (named), an edited manifest, a missing previous month", async () => {
    const file = join(archiveDir(), `audit-${monthName(month(-2))}.jsonl.gz`);
    const original = readFileSync(file);
    const manifest = readFileSync(manifestPathOf(file), "utf8");
    const lines = gunzipSync(original).toString("utf8").split("\n");
    const edited = JSON.parse(lines[3]!);
    try {
      writeFileSync(file, gzipSync(lines.map((line, i) => (i === 3 ? JSON.stringify({ ...edited, purpose: "EDITED" }) : line)).join("\n")));
      expect(await verifyAuditArchive(file, jwks)).toMatchObject({ ok: false, firstBadSeq: edited.seq, problem: expect.stringMatching(/changed/) });

      // Same records, recompressed: the digest in the signed manifest no longer matches.
      writeFileSync(file, gzipSync(lines.join("\n"), { level: 1 }));
      expect(await verifyAuditArchive(file, jwks)).toMatchObject({ ok: false, problem: expect.stringMatching(/SHA-256/) });
      writeFileSync(file, original);

      writeFileSync(manifestPathOf(file), manifest.replace(/"count": \d+/, '"count": 1'));
      expect(await verifyAuditArchive(file, jwks)).toMatchObject({ ok: false, problem: expect.stringMatching(/signature covers/) });
      writeFileSync(manifestPathOf(file), manifest);

      const alone = join(mkdtempSync(join(tmpdir(), "audit-archive-alone-")), `audit-${monthName(month(-2))}.jsonl.gz`);
      writeFileSync(alone, original);
      writeFileSync(manifestPathOf(alone), manifest);
      expect(await verifyAuditArchive(alone, jwks)).toMatchObject({ ok: false, problem: expect.stringMatching(/previous month/) });
    } finally {
      writeFileSync(file, original);
      writeFileSync(manifestPathOf(file), manifest);
    }
    expect((await verifyAuditArchive(file, jwks)).ok).toBe(true);
  });

  it("pages newest first by keyset across months without gaps or repeats", async () => {
    const app = SYNTHETIC_APPS[0]!;
    const [total] = await log.database.session.query<{ n: string }>("SELECT count(*)::text AS n FROM audit_record WHERE app = $1", [app]);
    const seen: bigint[] = [];
    let after: string | null = null;
    do {
      const page = await queryAuditRecords(log.database.prisma, { app }, { first: 37, after });
      seen.push(...page.records.map((r) => r.seq));
      after = page.nextCursor;
    } while (after);
    expect(seen).toHaveLength(Number(total!.n));
    expect(seen.every((seq, i) => i === 0 || seq < seen[i - 1]!)).toBe(true);
    const months = await log.database.session.query<{ m: string }>(
      `SELECT DISTINCT to_char(committed_at AT TIME ZONE 'UTC', 'YYYY-MM') AS m FROM audit_record WHERE app = $1`,
      [app],
    );
    expect(months.length).toBeGreaterThanOrEqual(3);

    // A cursor carries its record's commit time; one of only a seq (as earlier pages gave) reads the same page.
    const middle = await queryAuditRecords(log.database.session, { app }, { first: Math.floor(seen.length / 2) });
    expect(middle.nextCursor).toMatch(/^\d+\.\d+$/);
    const next = await queryAuditRecords(log.database.session, { app }, { first: 37, after: middle.nextCursor });
    const bySeqOnly = await queryAuditRecords(log.database.session, { app }, { first: 37, after: middle.nextCursor!.split(".")[0] });
    expect(next.records.map((r) => r.seq)).toEqual(bySeqOnly.records.map((r) => r.seq));
    expect(next.records[0]!.seq).toBe(seen[Math.floor(seen.length / 2)]);
  });

  it.skipIf(!usingPostgres)("partitions by month, ahead of time, each append-only", async () => {
    expect(await isPartitioned(log.database.session)).toBe(true);
    const months = (await listAuditPartitions(log.database.session)).map((p) => p.month);
    for (let offset = -3; offset <= 3; offset++) expect(months).toContain(monthName(month(offset)));
    const table = `audit_record_${monthName(month(-1)).replace("-", "_")}`;
    for (const sql of [`TRUNCATE ${table}`, `DELETE FROM ${table} WHERE seq = ${PER_MONTH * 3}`, `UPDATE ${table} SET purpose = 'X'`]) {
      await expect(log.database.session.exec(sql), sql).rejects.toThrow(/append-only/);
    }
  });

  it.skipIf(!usingPostgres)("drops only archived and verified months past retention, and the chain still verifies from the archived boundary", async () => {
    // Keep two months (this one and the last): the two archived months before go, oldest first.
    const dropped = await applyAuditRetention({ session: log.database.session, retentionMonths: 2, gatewayJwks: jwks });
    expect(dropped.dropped).toEqual([monthName(month(-3)), monthName(month(-2))]);
    const months = (await listAuditPartitions(log.database.session)).map((p) => p.month);
    expect(months).not.toContain(monthName(month(-3)));
    expect(months).not.toContain(monthName(month(-2)));
    const [boundary] = await log.database.session.query<{ last: string }>("SELECT max(last_seq)::text AS last FROM audit_archive WHERE dropped_at IS NOT NULL");

    const full = await verify("full");
    expect(full).toMatchObject({ ok: true, fromSeq: String(Number(boundary!.last) + 1) });
    await write(5);
    await signHead();
    expect(await verify("incremental")).toMatchObject({ ok: true, checked: 5 });

    // Keeping one month: last month is not archived, so it stays.
    const kept = await applyAuditRetention({ session: log.database.session, retentionMonths: 1, gatewayJwks: jwks });
    expect(kept.dropped).toEqual([]);
    expect(kept.kept).toEqual([{ month: monthName(month(-1)), reason: expect.stringMatching(/not archived/) }]);

    // Records of a dropped month gone without their archive row: verify names the gap.
    await log.database.session.query("UPDATE audit_archive SET dropped_at = NULL WHERE month = $1", [monthName(month(-2))]);
    try {
      expect(await verify("full")).toMatchObject({ ok: false, firstBadSeq: expect.any(String) });
    } finally {
      await log.database.session.query("UPDATE audit_archive SET dropped_at = now() WHERE month = $1", [monthName(month(-2))]);
    }
    expect((await verify("full")).ok).toBe(true);
  });
});
