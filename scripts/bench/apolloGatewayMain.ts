// Gateway (A) of the bench: plain @apollo/gateway on Apollo Server 5 (startStandaloneServer), no auth; env PORT, SUPERGRAPH_PATH, GATEWAY_SIGNING_KEY.
import { ApolloGateway, RemoteGraphQLDataSource, type GraphQLDataSourceProcessOptions } from "@apollo/gateway";
import { ApolloServer } from "@apollo/server";
import { startStandaloneServer } from "@apollo/server/standalone";
import { benchGatewaySetup } from "./benchSubgraphTokens.ts";

// As in this gateway: no usage reporting to Apollo, no cloud metadata probes (nothing beyond loopback).
process.env.APOLLO_TELEMETRY_DISABLED = "true";

try {
  const { supergraphSdl, tokens } = await benchGatewaySetup(process.env);

  /** The only change to a plain RemoteGraphQLDataSource: the subgraph's static token. */
  class BenchDataSource extends RemoteGraphQLDataSource {
    constructor(private readonly subgraphName: string, url: string) {
      super({ url });
    }
    override willSendRequest(options: GraphQLDataSourceProcessOptions): void {
      options.request.http!.headers.set("authorization", `Bearer ${tokens[this.subgraphName]}`);
    }
  }

  const server = new ApolloServer({
    gateway: new ApolloGateway({ supergraphSdl, buildService: ({ name, url }) => new BenchDataSource(name, url!) }),
  });
  const { url } = await startStandaloneServer(server, { listen: { host: "127.0.0.1", port: Number(process.env.PORT ?? 0) } });
  console.log(`apollo gateway ready at ${url}`);
  const stop = () => void server.stop().finally(() => process.exit(0));
  process.on("SIGINT", stop);
  process.on("SIGTERM", stop);
} catch (error) {
  console.error(`apollo gateway failed to start: ${error instanceof Error ? error.stack : String(error)}`);
  process.exit(1);
}
