/**
 * The gateway's configuration, read once from the environment. Every bad
 * variable is named in one ConfigError.
 *
 * - `HOST` (127.0.0.1), `PORT` (4000)
 * - `SUPERGRAPH_PATH` (schema/supergraph.graphql)
 * - `<NAME>_SUBGRAPH_URL`, e.g. `TAX_SUBGRAPH_URL`: where an agency's subgraph
 *   is; default: the URL composed into the supergraph
 * - `SUBGRAPH_TIMEOUT_MS` (5000): the longest a subgraph fetch may take
 * - `MAX_BODY_BYTES` (1 MiB)
 */
import { resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { EnvReader } from "../platform/EnvReader.ts";

export interface GatewayConfig {
  host: string;
  port: number;
  supergraphPath: string;
  /** Subgraph URL overrides by subgraph name, e.g. `{ tax: "http://10.0.0.4/graphql" }`. */
  subgraphUrls: Readonly<Record<string, string>>;
  subgraphTimeoutMs: number;
  maxBodyBytes: number;
}

const DEFAULT_SUPERGRAPH = fileURLToPath(new URL("../schema/supergraph.graphql", import.meta.url));
const SUBGRAPH_URL_VARIABLE = /^([A-Z][A-Z0-9_]*)_SUBGRAPH_URL$/;

/** @throws ConfigError naming every bad variable */
export function readGatewayConfig(env: NodeJS.ProcessEnv = process.env): Readonly<GatewayConfig> {
  const reader = new EnvReader(env);
  const subgraphUrls: Record<string, string> = {};
  for (const name of Object.keys(env)) {
    const match = SUBGRAPH_URL_VARIABLE.exec(name);
    if (match && env[name]) subgraphUrls[match[1]!.toLowerCase().replace(/_/g, "-")] = reader.httpUrl(name, "");
  }
  const config: GatewayConfig = {
    host: reader.string("HOST", "127.0.0.1"),
    port: reader.port("PORT", 4000),
    supergraphPath: resolve(reader.string("SUPERGRAPH_PATH", DEFAULT_SUPERGRAPH)),
    subgraphUrls: Object.freeze(subgraphUrls),
    subgraphTimeoutMs: reader.integer("SUBGRAPH_TIMEOUT_MS", 5000, 50, 120_000),
    maxBodyBytes: reader.integer("MAX_BODY_BYTES", 1_048_576, 1024, 64 * 1_048_576),
  };
  reader.finish("gateway");
  return Object.freeze(config);
}
