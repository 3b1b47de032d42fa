/**
 * Opens a service's own database: the embedded PGlite under `DATA_DIR`, or a
 * database on a PostgreSQL server (created when missing), applies the
 * committed migrations, and returns a Prisma client on the matching driver
 * adapter with a count of the SQL statements it has run.
 */
import { SpanKind, SpanStatusCode } from "@opentelemetry/api";
import type { Tracing } from "../observability/createTracing.ts";
import pg from "pg";
import { openPglite } from "./openPglite.ts";
import { PrismaPGlite } from "pglite-prisma-adapter";
import { PrismaPg } from "@prisma/adapter-pg";
import type { SqlDriverAdapterFactory } from "@prisma/driver-adapter-utils";
import { applyMigrations, type SqlSession } from "./applyMigrations.ts";
import { to as copyTo } from "pg-copy-streams";
import type { DatabaseLocation } from "./databaseUrl.ts";

/** What every generated Prisma client offers that this module uses. */
export interface PrismaLike {
  $on(event: "query", callback: (event: { query: string }) => void): void;
  $disconnect(): Promise<void>;
}

/** Options Prisma clients are constructed with. */
export interface PrismaClientOptions {
  adapter: SqlDriverAdapterFactory;
  log: Array<{ emit: "event"; level: "query" }>;
}

export interface OpenDatabaseOptions<Client extends PrismaLike> {
  location: DatabaseLocation;
  /** Folder of `NNNN_name/migration.sql` folders. */
  migrationsDir: string;
  /** Builds the service's generated Prisma client. */
  createClient: (options: PrismaClientOptions) => Client;
  /** Pool size on a PostgreSQL server. @default 10 */
  poolSize?: number;
  /** How long a connection above the warm half of the pool stays open idle. @default 60_000 */
  idleTimeoutMs?: number;
  /** How long to wait for a server connection before failing. @default 10_000 */
  connectTimeoutMs?: number;
  /** A span per database operation, under whatever span is active (the resolver's). */
  tracing?: Tracing;
}

/** An open service database. */
export interface Database<Client extends PrismaLike> {
  prisma: Client;
  /** Runs raw SQL outside Prisma (seeding, tests). */
  session: SqlSession;
  /** How many SQL statements Prisma has sent since the database was opened. */
  statementCount(): number;
  /** Connections of the PostgreSQL pool (none on PGlite: one in-process database). */
  poolStats(): { total: number; idle: number; waiting: number } | null;
  close(): Promise<void>;
}

/** A COPY TO STDOUT on a pooled connection, released when the stream ends or is abandoned. */
async function* copyOutOf(pool: pg.Pool, sql: string): AsyncIterable<Buffer> {
  const client = await pool.connect();
  let broken: Error | undefined;
  const stream = client.query(copyTo(sql));
  try {
    for await (const chunk of stream) yield chunk as Buffer;
  } catch (error) {
    broken = error as Error;
    throw error;
  } finally {
    if (!stream.readableEnded && !broken) {
      // Abandoned mid-way: the connection is still copying, so it is closed rather than reused.
      broken = new Error("COPY abandoned");
      stream.destroy();
    }
    client.release(broken);
  }
}

/** Opens, creates if needed and migrates a service database. */
export async function openDatabase<Client extends PrismaLike>(
  options: OpenDatabaseOptions<Client>,
): Promise<Database<Client>> {
  const { location } = options;
  let adapter: SqlDriverAdapterFactory;
  let session: SqlSession;
  let closeDriver: () => Promise<void>;
  let poolStats: Database<Client>["poolStats"] = () => null;
  if (location.kind === "pglite") {
    const pglite = await openPglite(location.dataDir);
    session = {
      exec: async (sql) => void (await pglite.exec(sql)),
      query: async <Row>(sql: string, params?: unknown[]) => (await pglite.query<Row>(sql, params)).rows,
    };
    adapter = new PrismaPGlite(pglite) as unknown as SqlDriverAdapterFactory;
    closeDriver = () => pglite.close();
  } else {
    await createDatabaseIfMissing(location.url, location.databaseName);
    const max = options.poolSize ?? 10;
    const pool = new pg.Pool({
      connectionString: location.url,
      max,
      // A connection once opened stays warm: the first statement on a new one costs 30-50 ms here
      // (the server forks a backend, then loads the partitions' catalog entries as it plans), which
      // pg's default (close after 10 s idle) paid again whenever traffic paused. Half the pool is
      // kept; connections above that close after a minute idle.
      min: Math.ceil(max / 2),
      idleTimeoutMillis: options.idleTimeoutMs ?? 60_000,
      connectionTimeoutMillis: options.connectTimeoutMs ?? 10_000,
    });
    pool.on("error", () => {}); // an idle client's lost connection is reported by the next query
    session = {
      exec: async (sql) => void (await pool.query(sql)),
      query: async <Row>(sql: string, params?: unknown[], prepareAs?: string) =>
        (await (prepareAs ? pool.query({ name: prepareAs, text: sql, values: params }) : pool.query(sql, params))).rows as Row[],
      copyOut: (sql) => copyOutOf(pool, sql),
      serverUrl: location.url,
    };
    adapter = new PrismaPg(pool) as unknown as SqlDriverAdapterFactory;
    closeDriver = () => pool.end();
    poolStats = () => ({ total: pool.totalCount, idle: pool.idleCount, waiting: pool.waitingCount });
  }
  try {
    await applyMigrationsOnOneConnection(location, session, options.migrationsDir);
  } catch (error) {
    await closeDriver();
    throw error;
  }
  const client = options.createClient({ adapter, log: [{ emit: "event", level: "query" }] });
  let statements = 0;
  client.$on("query", () => {
    statements++;
  });
  const prisma = options.tracing?.enabled ? withQuerySpans(client, options.tracing, location) : client;
  return {
    prisma,
    session,
    statementCount: () => statements,
    poolStats,
    close: async () => {
      await prisma.$disconnect();
      await closeDriver();
    },
  };
}

/**
 * The client with a span around each operation (Prisma's documented query
 * extension; the extended client answers the same calls as the base one).
 */
function withQuerySpans<Client extends PrismaLike>(client: Client, tracing: Tracing, location: DatabaseLocation): Client {
  const extendable = client as unknown as { $extends(extension: object): Client };
  const dbName = location.kind === "postgres" ? location.databaseName : "pglite";
  return extendable.$extends({
    query: {
      async $allOperations({ model, operation, args, query }: { model?: string; operation: string; args: unknown; query(args: unknown): Promise<unknown> }) {
        const span = tracing.tracer.startSpan(`db ${model ? `${model}.` : ""}${operation}`, {
          kind: SpanKind.CLIENT,
          attributes: { "db.system.name": "postgresql", "db.namespace": dbName, "db.operation.name": operation, ...(model ? { "db.collection.name": model } : {}) },
        });
        try {
          return await query(args);
        } catch (error) {
          span.setStatus({ code: SpanStatusCode.ERROR });
          throw error;
        } finally {
          span.end();
        }
      },
    },
  });
}

// Advisory locks belong to a connection, so on a server the migration runs on one client.
async function applyMigrationsOnOneConnection(
  location: DatabaseLocation,
  session: SqlSession,
  migrationsDir: string,
): Promise<void> {
  if (location.kind === "pglite") {
    await applyMigrations(session, migrationsDir);
    return;
  }
  const client = new pg.Client({ connectionString: location.url });
  await client.connect();
  try {
    await applyMigrations(
      {
        exec: async (sql) => void (await client.query(sql)),
        query: async <Row>(sql: string, params?: unknown[]) => (await client.query(sql, params)).rows as Row[],
      },
      migrationsDir,
    );
  } finally {
    await client.end();
  }
}

async function createDatabaseIfMissing(url: string, databaseName: string): Promise<void> {
  const maintenance = new URL(url);
  maintenance.pathname = "/postgres";
  const client = new pg.Client({ connectionString: maintenance.toString() });
  await client.connect();
  try {
    const found = await client.query("SELECT 1 FROM pg_database WHERE datname = $1", [databaseName]);
    if (found.rowCount === 0) {
      await client.query(`CREATE DATABASE "${databaseName.replace(/"/g, '""')}"`).catch((error: { code?: string }) => {
        if (error.code !== "42P04") throw error; // created meanwhile by another process
      });
    }
  } finally {
    await client.end();
  }
}
