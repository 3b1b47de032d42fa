import pg from "pg";
const c = new pg.Client({ connectionString: "postgres://postgres@127.0.0.1:5432/auditscale_ingest" }); await c.connect();
const head = (await c.query("select seq::text, hash, committed_at from audit_chain_head")).rows[0];
const rows = Array.from({ length: 64 }, (_, i) => ({ seq: String(BigInt(head.seq) + BigInt(i + 1)), time: new Date().toISOString(), request_id: "r" + i, app: "app:x", token_id: "t", purpose: "P", operation_name: "Op", operation_hash: "0".repeat(64), citizens: [String(i).padStart(64, "b")], requested_fields: ["Citizen.name", "Query.citizen"], granted_fields: ["Citizen.name"], denied_fields: [], outcome: "ALLOWED", data_released: true, error_codes: [], subgraphs: ["x"], latency_ms: 1, client_address: "1", verifications: null, governance: null, prev_hash: "0".repeat(64), hash: "1".repeat(64) }));
const json = JSON.stringify(rows);
const sql = `EXPLAIN (ANALYZE, BUFFERS, COSTS OFF) INSERT INTO audit_record (seq, time, request_id, app, token_id, purpose, operation_name, operation_hash, citizens,
  requested_fields, granted_fields, denied_fields, outcome, data_released, error_codes, subgraphs, latency_ms,
  client_address, verifications, governance, prev_hash, hash, committed_at)
SELECT r.seq, r.time, r.request_id, r.app, r.token_id, r.purpose, r.operation_name, r.operation_hash, r.citizens,
  r.requested_fields, r.granted_fields, r.denied_fields, r.outcome::"AuditOutcome", r.data_released, r.error_codes,
  r.subgraphs, r.latency_ms, r.client_address, r.verifications, r.governance, r.prev_hash, r.hash, now()
FROM json_to_recordset($1::json) AS r(seq bigint, time timestamptz, request_id text, app text, token_id text, purpose text,
  operation_name text, operation_hash text, citizens text[], requested_fields text[], granted_fields text[],
  denied_fields text[], outcome text, data_released boolean, error_codes text[], subgraphs text[], latency_ms integer,
  client_address text, verifications jsonb, governance jsonb, prev_hash text, hash text)`;
for (let i = 0; i < 5; i++) {
  await c.query("BEGIN");
  const r = await c.query(sql, [json]);
  if (i >= 3) console.log(r.rows.map((x: any) => x["QUERY PLAN"]).join("\n"));
  await c.query("ROLLBACK");
}
await c.end();
