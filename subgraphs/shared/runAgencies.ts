/**
 * Runs several agencies' subgraphs in one process: what `npm start` does on
 * the embedded default, where five Node processes cost five copies of
 * Apollo, Prisma and Node itself. Each agency keeps its own port, its own
 * database and its own metrics port, exactly as when it runs alone; in
 * production each agency runs its own `main.ts` beside its own database.
 *
 * Ports: each agency's `<NAME>_PORT` (e.g. `REAL_ESTATE_PORT`), else its
 * default (4001-4005, metrics 9401-9405), or any free ones with `PORT=0` /
 * `METRICS_PORT=0`. Prints `<name> subgraph listening at
 * <url> (metrics at <url>)` per agency, then `agencies ready at <first url>`.
 */
import type { Agency } from "./agency.ts";
import { metricsPortOf, readSubgraphConfig } from "./config.ts";
import { startSubgraph, type RunningSubgraph } from "./startSubgraph.ts";
import { createLogger } from "../../platform/logging/createLogger.ts";
import { logReady } from "../../platform/logging/logReady.ts";

export async function runAgencies(agencies: readonly Agency[], env: NodeJS.ProcessEnv = process.env): Promise<void> {
  const running: RunningSubgraph<any>[] = [];
  const processLogger = createLogger({ service: "agencies" });
  try {
    await Promise.all(
      agencies.map(async (agency) => {
        const own = {
          ...env,
          PORT: env[`${agency.name.toUpperCase().replace(/-/g, "_")}_PORT`] ?? (env.PORT === "0" ? "0" : String(agency.defaultPort)),
          METRICS_PORT: env.METRICS_PORT === "0" ? "0" : String(metricsPortOf(agency)),
        };
        const subgraph = await startSubgraph(agency, readSubgraphConfig(agency, own));
        running.push(subgraph);
        subgraph.logger.info({ url: subgraph.url, metricsUrl: subgraph.metricsUrl }, `${agency.name} subgraph listening at ${subgraph.url} (metrics at ${subgraph.metricsUrl})`);
      }),
    );
  } catch (error) {
    processLogger.fatal({ err: error }, "agencies failed to start");
    await Promise.all(running.map((subgraph) => subgraph.stop().catch(() => {})));
    process.exit(1);
  }
  logReady(processLogger, {}, `agencies ready at ${running[0]?.url}`);
  let stopping = false;
  const stop = async () => {
    if (stopping) return;
    stopping = true;
    processLogger.info("stopping");
    await Promise.all(running.map((subgraph) => subgraph.stop().catch((error: unknown) => subgraph.logger.error({ err: error }, "stopping failed"))));
    process.exit(0);
  };
  process.on("SIGINT", stop);
  process.on("SIGTERM", stop);
}
