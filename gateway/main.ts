// Starts the gateway process (HOST, PORT, SUPERGRAPH_PATH, <NAME>_SUBGRAPH_URL: see ./config.ts).
import { readGatewayConfig } from "./config.ts";
import { startGateway } from "./createGateway.ts";

try {
  const gateway = await startGateway(readGatewayConfig());
  console.log(`gateway ready at ${gateway.url}`);
  let stopping = false;
  const stop = async () => {
    if (stopping) return;
    stopping = true;
    await gateway.stop().catch(() => {});
    process.exit(0);
  };
  process.on("SIGINT", stop);
  process.on("SIGTERM", stop);
} catch (error) {
  console.error(`gateway failed to start: ${error instanceof Error ? error.message : String(error)}`);
  process.exit(1);
}
