// The bench's lean-executor row (scripts/bench/features.ts): this gateway exactly as gateway/main.ts starts it, except that
// every query plan runs on @apollo/gateway's own executor instead of gateway/execution. Never a way to run the gateway.
import { readGatewayConfig } from "../../gateway/config.ts";
import { startGateway } from "../../gateway/createGateway.ts";

const gateway = await startGateway(readGatewayConfig(), { apolloExecutorForBench: true });
gateway.logger.info({ url: gateway.url, metricsUrl: gateway.metricsUrl }, `gateway ready at ${gateway.url} (metrics at ${gateway.metricsUrl})`);
process.on("SIGTERM", () => void gateway.stop().finally(() => process.exit(0)));
