// Starts the gateway process (HOST, PORT, SUPERGRAPH_PATH, <NAME>_SUBGRAPH_URL, LOG_LEVEL, METRICS_PORT, ...: see ./config.ts).
import { createLogger } from "../platform/logging/createLogger.ts";
import { logReady } from "../platform/logging/logReady.ts";
import { readGatewayConfig } from "./config.ts";
import { startGateway } from "./createGateway.ts";

try {
  const gateway = await startGateway(readGatewayConfig());
  logReady(gateway.logger, { url: gateway.url, metricsUrl: gateway.metricsUrl }, `gateway ready at ${gateway.url} (metrics at ${gateway.metricsUrl})`);
  let stopping = false;
  const stop = async () => {
    if (stopping) return;
    stopping = true;
    gateway.logger.info("stopping");
    await gateway.stop().catch((error: unknown) => gateway.logger.error({ err: error }, "stopping failed"));
    process.exit(0);
  };
  process.on("SIGINT", stop);
  process.on("SIGTERM", stop);
} catch (error) {
  // Config problems and start-up failures: one line, with the stack, and a non-zero exit.
  createLogger({ service: "gateway" }).fatal({ err: error }, "gateway failed to start");
  process.exit(1);
}
