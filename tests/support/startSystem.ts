/**
 * Starts the real system for integration tests: the five agency subgraphs,
 * each on its own database (in-memory PGlite, or a fresh database on the
 * PostgreSQL server named by DATABASE_URL), and the gateway, all on loopback
 * port 0. Tests talk HTTP to `gatewayUrl` and to each subgraph's URL.
 */
import pg from "pg";
import { readGatewayConfig, type GatewayConfig } from "../../gateway/config.ts";
import { startGateway, type RunningGateway } from "../../gateway/createGateway.ts";
import { withDatabaseName, type DatabaseLocation } from "../../platform/database/databaseUrl.ts";
import { agencies } from "../../subgraphs/agencies.ts";
import { startSubgraph, type RunningSubgraph } from "../../subgraphs/shared/startSubgraph.ts";

export interface System {
  gatewayUrl: string;
  gateway: RunningGateway;
  subgraphs: Map<string, RunningSubgraph<any>>;
  stop(): Promise<void>;
}

export interface StartSystemOptions {
  /** Distinguishes this suite's databases on a shared PostgreSQL server. */
  suite: string;
  /** Generated citizens to seed besides the demo ones. @default 0 */
  generatedCitizens?: number;
  /** Gateway settings to override. */
  gateway?: Partial<GatewayConfig>;
  /** Agencies to leave stopped, by name. */
  withoutAgencies?: string[];
}

/** Whether the suites run against a PostgreSQL server rather than PGlite. */
export const usingPostgres = Boolean(process.env.DATABASE_URL);

async function testDatabase(suite: string, agency: string): Promise<DatabaseLocation> {
  if (!usingPostgres) return { kind: "pglite", dataDir: "memory://" };
  const databaseName = `test_${suite}_${agency}`.replace(/-/g, "_");
  const admin = new pg.Client({ connectionString: withDatabaseName(process.env.DATABASE_URL!, "postgres") });
  await admin.connect();
  await admin.query(`DROP DATABASE IF EXISTS "${databaseName}" WITH (FORCE)`);
  await admin.end();
  return { kind: "postgres", url: withDatabaseName(process.env.DATABASE_URL!, databaseName), databaseName };
}

export async function startSystem(options: StartSystemOptions): Promise<System> {
  const subgraphs = new Map<string, RunningSubgraph<any>>();
  const started = await Promise.all(
    agencies
      .filter((agency) => !options.withoutAgencies?.includes(agency.name))
      .map(async (agency) => {
        const running = await startSubgraph(agency, {
          host: "127.0.0.1",
          port: 0,
          database: await testDatabase(options.suite, agency.name),
          seedDemo: true,
        });
        if (options.generatedCitizens) {
          await agency.seedGenerated(running.database.prisma, { from: 0, count: options.generatedCitizens });
        }
        return running;
      }),
  );
  for (const running of started) subgraphs.set(running.name, running);
  const subgraphUrls: Record<string, string> = {};
  for (const agency of agencies) {
    // A stopped agency gets a port nothing listens on.
    subgraphUrls[agency.name] = subgraphs.get(agency.name)?.url ?? "http://127.0.0.1:9/graphql";
  }
  const gateway = await startGateway({
    ...readGatewayConfig({}),
    port: 0,
    subgraphUrls,
    ...options.gateway,
  });
  return {
    gatewayUrl: gateway.url,
    gateway,
    subgraphs,
    stop: async () => {
      await gateway.stop();
      await Promise.all([...subgraphs.values()].map((s) => s.stop()));
    },
  };
}
