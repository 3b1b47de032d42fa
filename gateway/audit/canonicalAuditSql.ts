/**
 * The audit chain's hash input (`prevHash \n canonical form`, see
 * auditChain.ts) built by the database, so that verifying millions of
 * records costs one SHA-256 per record in the verifier and no per-column
 * decoding. The verifier still computes every hash itself: the database only
 * lays out the record's own columns in the canonical order.
 *
 * For records with verifications or a governance action (`audit-v2`), the
 * JSON columns are returned as text and completed by `completeCanonical`,
 * since jsonb does not keep keys in the canonical (code-point) order.
 */
import { sortedKeys } from "./auditChain.ts";

const text = (column: string) => `coalesce(to_json(${column})::text, 'null')`;
const array = (column: string) => `coalesce(array_to_json(${column})::text, 'null')`;

/** Whether a row's canonical form is audit-v2 (as `canonicalAuditRecord` decides). */
const EXTENDED = `(coalesce(jsonb_typeof(verifications) = 'array' AND jsonb_array_length(verifications) > 0, false) OR (governance IS NOT NULL AND governance <> 'null'::jsonb))`;

/**
 * Columns: `seq` (text), `prev_hash`, `hash`, `input` (the hash input; for
 * audit-v2 rows without its closing part), `v2` (boolean), `verifications`
 * and `governance` (text, only for audit-v2 rows).
 */
export const CANONICAL_COLUMNS = `seq::text AS seq, prev_hash, hash,
  prev_hash || E'\\n["' || CASE WHEN ${EXTENDED} THEN 'audit-v2' ELSE 'audit-v1' END || '","' || seq::text
  || '","' || to_char(time AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"') || '",'
  || to_json(request_id)::text || ',' || ${text("app")} || ',' || ${text("token_id")} || ',' || ${text("purpose")}
  || ',' || ${text("operation_name")} || ',' || ${text("operation_hash")}
  || ',' || ${array("citizens")} || ',' || ${array("requested_fields")} || ',' || ${array("granted_fields")}
  || ',' || ${array("denied_fields")} || ',"' || outcome::text || '",' || CASE WHEN data_released THEN 'true' ELSE 'false' END
  || ',' || ${array("error_codes")} || ',' || ${array("subgraphs")} || ',' || latency_ms::text || ',' || ${text("client_address")}
  AS input,
  ${EXTENDED} AS v2,
  CASE WHEN ${EXTENDED} THEN verifications::text END AS verifications,
  CASE WHEN ${EXTENDED} THEN governance::text END AS governance`;

/** One row selected with CANONICAL_COLUMNS. */
export interface CanonicalRow {
  seq: string;
  prev_hash: string;
  hash: string;
  input: string;
  v2: boolean;
  verifications: string | null;
  governance: string | null;
}

/** The complete hash input of a row. */
export function completeCanonical(row: CanonicalRow): string {
  if (!row.v2) return `${row.input}]`;
  const json = (value: string | null) => JSON.stringify(sortedKeys(value === null ? null : JSON.parse(value)));
  return `${row.input},${json(row.verifications)},${json(row.governance)}]`;
}
