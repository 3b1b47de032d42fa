/**
 * What the rollups are read and refreshed through: the audit database's
 * driver (the gateway's request path, with no ORM between a view and its
 * statements) or its Prisma client (tools and tests that hold one). Both
 * answer the same SQL with the same rows: int4 as numbers, timestamptz as
 * Dates (int8 is converted where it is read).
 */
import type { SqlSession } from "../../../platform/database/applyMigrations.ts";
import type { PrismaClient } from "../prisma/generated/client.ts";

export type RollupSource = PrismaClient | SqlSession;

export const isPrismaSource = (source: RollupSource): source is PrismaClient => "$queryRawUnsafe" in source;

/** One statement with positional parameters ($1, $2, ...), as `$queryRawUnsafe<Rows>` answers it. */
export function queryRollups<Rows extends unknown[]>(source: RollupSource, sql: string, ...params: unknown[]): Promise<Rows> {
  return isPrismaSource(source) ? source.$queryRawUnsafe<Rows>(sql, ...params) : (source.query<Rows[number]>(sql, params) as Promise<Rows>);
}
