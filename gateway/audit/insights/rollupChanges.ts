/**
 * What the hourly rollups gained between two watermarks: the hours the newly
 * rolled-up records fall in, per kind of rollup they can change. The rollups
 * only ever grow from records (append-only) in the hour of each record's
 * `time`, so a result computed from hours outside these spans is still exact.
 */
import { queryRollups, type RollupSource } from "./RollupSource.ts";
import { hourOf } from "./readRollups.ts";

/** The first and last hour (inclusive) a kind of rollup changed in; null when it did not change. */
export type ChangedHours = { first: number; last: number } | null;

export interface RollupChanges {
  /** Requests, reads, denials, fields and agencies (every rolled-up record). */
  any: ChangedHours;
  /** Distinct citizens (records that released data about citizens). */
  citizens: ChangedHours;
  /** Verification arguments (records with verifications). */
  probes: ChangedHours;
}

const span = (first: Date | null, last: Date | null): ChangedHours =>
  first && last ? { first: hourOf(new Date(first)).getTime(), last: hourOf(new Date(last)).getTime() } : null;

/**
 * The watermark (the seq the rollups cover, audit_rollup_state) and the hours
 * the records after `since` up to it changed, read by their `seq` (the same
 * records the refreshes rolled up): a view's one read before it uses what it
 * keeps. Without `since`, only the watermark.
 */
export async function readRollupChanges(source: RollupSource, since: bigint | null): Promise<{ watermark: bigint; changes: RollupChanges }> {
  type Row = { watermark: string; first: Date | null; last: Date | null; firstCitizen: Date | null; lastCitizen: Date | null; firstProbe: Date | null; lastProbe: Date | null };
  const [row] =
    since === null
      ? await queryRollups<Row[]>(source, `SELECT "seq"::text AS "watermark" FROM "audit_rollup_state" WHERE "id" = 1`)
      : await queryRollups<Row[]>(
          source,
          `WITH "state" AS (SELECT "seq" FROM "audit_rollup_state" WHERE "id" = 1)
           SELECT (SELECT "seq" FROM "state")::text AS "watermark",
                  min("time") AS "first", max("time") AS "last",
                  min("time") FILTER (WHERE "data_released" AND cardinality("citizens") > 0) AS "firstCitizen",
                  max("time") FILTER (WHERE "data_released" AND cardinality("citizens") > 0) AS "lastCitizen",
                  min("time") FILTER (WHERE jsonb_typeof("verifications") = 'array') AS "firstProbe",
                  max("time") FILTER (WHERE jsonb_typeof("verifications") = 'array') AS "lastProbe"
           FROM "audit_record" WHERE "seq" > $1 AND "seq" <= (SELECT "seq" FROM "state") AND "governance" IS NULL`,
          since,
        );
  return {
    watermark: BigInt(row?.watermark ?? 0),
    changes: {
      any: span(row?.first ?? null, row?.last ?? null),
      citizens: span(row?.firstCitizen ?? null, row?.lastCitizen ?? null),
      probes: span(row?.firstProbe ?? null, row?.lastProbe ?? null),
    },
  };
}
