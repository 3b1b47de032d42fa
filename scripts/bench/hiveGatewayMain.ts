// Gateway (B) of the bench: Hive Gateway's runtime on node:http over the prepared supergraph, a static token per subgraph; env PORT, SUPERGRAPH_PATH, GATEWAY_SIGNING_KEY.
import { createServer } from "node:http";
import type { AddressInfo } from "node:net";
import { createGatewayRuntime } from "@graphql-hive/gateway";
import { benchGatewaySetup } from "./benchSubgraphTokens.ts";

try {
  const { supergraphSdl, tokens } = await benchGatewaySetup(process.env);
  const runtime = createGatewayRuntime({
    supergraph: supergraphSdl,
    // Static headers per subgraph (transport entry `headers`), as a Hive config file would set them.
    transportEntries: Object.fromEntries(
      Object.entries(tokens).map(([name, token]) => [name, { headers: [["authorization", `Bearer ${token}`]] as [string, string][] }]),
    ),
    logging: false,
    landingPage: false,
    graphiql: false,
  });
  const server = createServer(runtime);
  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(Number(process.env.PORT ?? 0), "127.0.0.1", () => resolve());
  });
  console.log(`hive gateway ready at http://127.0.0.1:${(server.address() as AddressInfo).port}/graphql`);
  const stop = () => {
    server.closeAllConnections();
    server.close();
    void Promise.resolve(runtime.dispose()).finally(() => process.exit(0));
  };
  process.on("SIGINT", stop);
  process.on("SIGTERM", stop);
} catch (error) {
  console.error(`hive gateway failed to start: ${error instanceof Error ? error.stack : String(error)}`);
  process.exit(1);
}
