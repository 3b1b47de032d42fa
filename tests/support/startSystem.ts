/**
 * Starts the real system for integration tests: the five agency subgraphs,
 * each on its own database (in-memory PGlite, or a fresh database on the
 * PostgreSQL server named by DATABASE_URL), and the gateway, all on loopback
 * port 0. Tests talk HTTP to `gatewayUrl` and to each subgraph's URL.
 */
import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import pg from "pg";
import { readFileSync } from "node:fs";
import { ensureDevKeys, loadSigningKey, type SigningKey } from "../../platform/security/keys.ts";
import { scopesOf } from "../../schema/scopesOf.ts";
import { setDefaultAuthorization } from "./graphql.ts";
import { readGatewayConfig, type GatewayConfig } from "../../gateway/config.ts";
import { signDevToken } from "../../platform/security/signDevToken.ts";
import { startGateway, type RunningGateway } from "../../gateway/createGateway.ts";
import { withDatabaseName, type DatabaseLocation } from "../../platform/database/databaseUrl.ts";
import { agencies } from "../../subgraphs/agencies.ts";
import { grantThroughApi } from "../../gateway/governance/grantThroughApi.ts";
import { defaultTestGrants, scopesOfTestGrant, type TestGrant } from "./testGrants.ts";
import type { Logger } from "../../platform/logging/createLogger.ts";
import { quietObservability } from "../../platform/observability/readObservabilityConfig.ts";
import { startSubgraph, type RunningSubgraph } from "../../subgraphs/shared/startSubgraph.ts";

/** Far above what any suite sends without a token from its one address. */
export const GENEROUS_UNAUTHENTICATED_RATE = { perSecond: 100_000, burst: 100_000 };

export interface System {
  gatewayUrl: string;
  /** Temporary folder of this system's keys and signed audit heads. */
  workDir: string;
  /** The dev issuer's key the gateway trusts, for signing test tokens. */
  issuerKey: SigningKey;
  /** The gateway's own key (what subgraphs trust). */
  gatewayKey: SigningKey;
  /** Where the key files are. */
  keys: Awaited<ReturnType<typeof ensureDevKeys>>;
  /** A token with every scope of the supergraph, bound to no citizens. */
  allScopesToken: string;
  gateway: RunningGateway;
  /** Where the gateway's own database (audit, governance) is. */
  auditDatabase: DatabaseLocation;
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
  /**
   * (app, purpose) pairs to grant through the gateway's governance API before
   * the suite runs. @default the pairs tests/support/testGrants.ts lists for
   * this `suite`; pass `[]` for a suite that makes its own grants.
   */
  grants?: readonly TestGrant[];
  /** Where every service logs (each line names its service). @default silent */
  logger?: Logger;
  /** Every service exports its spans to this OTLP/HTTP endpoint. @default none */
  otlpEndpoint?: string;
}

/** Whether the suites run against a PostgreSQL server rather than PGlite. */
export const usingPostgres = Boolean(process.env.DATABASE_URL);

/** A fresh, empty database for one suite's service: in-memory PGlite, or dropped and named on the server. */
export async function testDatabase(suite: string, agency: string): Promise<DatabaseLocation> {
  if (!usingPostgres) return { kind: "pglite", dataDir: "memory://" };
  // TEST_DB_PREFIX keeps two checkouts testing against one server apart.
  const databaseName = `${process.env.TEST_DB_PREFIX ?? "test"}_${suite}_${agency}`.replace(/-/g, "_");
  const admin = new pg.Client({ connectionString: withDatabaseName(process.env.DATABASE_URL!, "postgres") });
  await admin.connect();
  await admin.query(`DROP DATABASE IF EXISTS "${databaseName}" WITH (FORCE)`);
  await admin.end();
  return { kind: "postgres", url: withDatabaseName(process.env.DATABASE_URL!, databaseName), databaseName };
}

export async function startSystem(options: StartSystemOptions): Promise<System> {
  const workDir = mkdtempSync(join(tmpdir(), "gateway-test-"));
  const keys = await ensureDevKeys(workDir);
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
          gatewayJwksPath: keys.gatewayJwks,
          observability: { ...quietObservability(agency.name), otlpEndpoint: options.otlpEndpoint },
          logger: options.logger?.child({ service: agency.name }),
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
  const auditDatabase = await testDatabase(options.suite, "gateway");
  const gateway = await startGateway({
    ...readGatewayConfig({}),
    jwks: keys.issuerJwks,
    signingKeyPath: keys.gatewayPrivate,
    receiptKeyPath: keys.receiptPrivate,
    auditPseudonymKeyPath: keys.auditPseudonymKey,
    auditDatabase,
    auditHeadsPath: join(workDir, "audit-heads.jsonl"),
    port: 0,
    observability: { ...quietObservability("gateway"), otlpEndpoint: options.otlpEndpoint },
    subgraphUrls,
    // Every request of a suite comes from 127.0.0.1: the per-address throttle of unauthenticated
    // requests has its own suite (tests/security/unauthenticatedThrottle.test.ts).
    unauthenticatedRateLimit: GENEROUS_UNAUTHENTICATED_RATE,
    ...options.gateway,
  }, { logger: options.logger?.child({ service: "gateway" }) });
  const issuerKey = await loadSigningKey(keys.issuerPrivate);
  const gatewayConfig = readGatewayConfig({});
  const allScopesToken = await signDevToken({
    key: issuerKey,
    issuer: gatewayConfig.tokenIssuer,
    audience: gatewayConfig.tokenAudience,
    subject: "app:integration-tests",
    scopes: scopesOf(readFileSync(gatewayConfig.supergraphPath, "utf8")),
    purpose: "INTEGRATION_TEST",
  });
  setDefaultAuthorization(`Bearer ${allScopesToken}`);
  const grants = options.grants ?? defaultTestGrants(options.suite);
  try {
    await grantTestApps({ gatewayUrl: gateway.url, issuerKey }, grants);
  } catch (error) {
    await gateway.stop().catch(() => {});
    await Promise.all([...subgraphs.values()].map((s) => s.stop().catch(() => {})));
    throw error;
  }
  return {
    gatewayUrl: gateway.url,
    workDir,
    issuerKey,
    gatewayKey: await loadSigningKey(keys.gatewayPrivate),
    keys,
    allScopesToken,
    gateway,
    auditDatabase,
    subgraphs,
    stop: async () => {
      await gateway.stop();
      await Promise.all([...subgraphs.values()].map((s) => s.stop()));
    },
  };
}

/**
 * Grants apps every scope (or theirs) for their purposes through the gateway's
 * governance API: an operator (`grants:admin`) registers and applies, the
 * agencies' approver approves. startSystem does it for the suite's default
 * pairs; a suite that must start first (e.g. its JWKS) calls it itself.
 */
export async function grantTestApps(system: Pick<System, "gatewayUrl" | "issuerKey">, grants: readonly TestGrant[]): Promise<void> {
  if (grants.length === 0) return;
  const config = readGatewayConfig({});
  const sign = (subject: string, scopes: string[]) =>
    signDevToken({ key: system.issuerKey, issuer: config.tokenIssuer, audience: config.tokenAudience, subject, scopes, purpose: "TEST_SETUP" });
  await grantThroughApi({
    graphqlUrl: system.gatewayUrl,
    operatorToken: await sign("app:test-operator", ["grants:admin"]),
    approverToken: await sign("app:test-approver", agencies.map((agency) => `grants:approve:${agency.name}`)),
    grants: grants.map((grant) => ({ app: grant.app, purpose: grant.purpose, scopes: scopesOfTestGrant(grant) })),
  });
}
