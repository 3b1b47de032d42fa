/**
 * Starts a gateway under test as its own child process: (A) plain
 * @apollo/gateway, (B) Hive Gateway — both over the prepared bench supergraph
 * with static per-subgraph tokens — or (C) this gateway, gateway/main.ts,
 * trusting the bench's dev issuer and signing with the bench's gateway key.
 */
import { databaseUrlVariableOf, withDatabaseName } from "../../platform/database/databaseUrl.ts";
import { startChild, type ServiceChild } from "../childProcesses.ts";
import type { Target } from "./measure.ts";
import type { GatewayKey } from "./options.ts";
import { GATEWAY_LABELS } from "./report.ts";

export interface GatewayStartContext {
  baseEnv: NodeJS.ProcessEnv;
  dataDir: string;
  databaseUrl: string | undefined;
  issuerJwks: string;
  gatewayPrivateKey: string;
  /** Subgraph URLs by name. */
  subgraphUrls: Readonly<Record<string, string>>;
  /** The prepared supergraph with the bench's URLs (A and B). */
  benchSupergraphPath: string;
  /** An app token with every scope (C). */
  appToken: string;
}

const ENTRIES: Record<GatewayKey, string> = {
  apollo: "scripts/bench/apolloGatewayMain.ts",
  hive: "scripts/bench/hiveGatewayMain.ts",
  this: "gateway/main.ts",
};

export async function startGatewayUnderTest(
  key: GatewayKey,
  context: GatewayStartContext,
  nodeFlags: string[] = [],
  /** This gateway only: settings over the bench's (its features), and the row's label. */
  variant: { env?: NodeJS.ProcessEnv; label?: string; feature?: string; entry?: string } = {},
): Promise<{ child: ServiceChild; target: Target }> {
  const env: NodeJS.ProcessEnv = {
    ...context.baseEnv,
    NODE_ENV: "production",
    HOST: "127.0.0.1",
    PORT: "0",
    METRICS_PORT: "0",
    DATA_DIR: context.dataDir,
    GATEWAY_SIGNING_KEY: context.gatewayPrivateKey,
  };
  if (key === "this") {
    env.JWKS = context.issuerJwks;
    // The per-app rate limit stays on (its cost is measured) but high enough never to refuse bench traffic.
    env.RATE_LIMIT_PER_SECOND = "1000000";
    env.RATE_LIMIT_BURST = "10000000";
    for (const [name, url] of Object.entries(context.subgraphUrls)) env[`${name.toUpperCase().replace(/-/g, "_")}_SUBGRAPH_URL`] = url;
    // Whatever the gateway keeps itself (e.g. its audit) goes to the run's own database too.
    if (context.databaseUrl) {
      env.DATABASE_URL = context.databaseUrl;
      env[databaseUrlVariableOf("gateway")] = withDatabaseName(context.databaseUrl, "bench_gateway");
    }
    Object.assign(env, variant.env);
  } else {
    env.SUPERGRAPH_PATH = context.benchSupergraphPath;
  }
  const label = variant.label ?? GATEWAY_LABELS[key];
  const child = await startChild({ name: label, entry: variant.entry ?? ENTRIES[key], env, nodeFlags });
  return {
    child,
    target: {
      key,
      label,
      ...(variant.feature ? { feature: variant.feature } : {}),
      pid: child.pid,
      url: child.url,
      headers: key === "this" ? { authorization: `Bearer ${context.appToken}` } : {},
    },
  };
}
