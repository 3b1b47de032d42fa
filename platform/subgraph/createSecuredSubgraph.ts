/**
 * What every subgraph does the same way, the five agencies' and the gateway's
 * own audit subgraph alike: build the federated schema from its SDL, enforce
 * the SDL's own scopes and citizen binding in the resolvers, and accept only
 * requests that carry the gateway's token for this subgraph.
 */
import { randomUUID } from "node:crypto";
import { STATUS_CODES, type IncomingMessage, type ServerResponse } from "node:http";
import { ApolloServer, HeaderMap } from "@apollo/server";
import { ApolloServerPluginCacheControlDisabled, ApolloServerPluginInlineTraceDisabled, ApolloServerPluginLandingPageDisabled } from "@apollo/server/plugin/disabled";
import { buildSubgraphSchema } from "@apollo/subgraph";
import type { GraphQLResolverMap } from "@apollo/subgraph/dist/schema-helper/index.js";
import type { DocumentNode } from "graphql";
import type { JSONWebKeySet } from "jose";
import { ErrorCode } from "../errors.ts";
import { createGraphQLRequestHandler, HttpError, type GraphQLHttpServerOptions, type RouteHandler } from "../http/createGraphQLHttpServer.ts";
import { REQUEST_ID_HEADER, requestIdOf } from "../http/requestId.ts";
import type { Logger } from "../logging/createLogger.ts";
import { errorLoggingPlugin } from "../logging/errorLoggingPlugin.ts";
import { normalizeError } from "../normalizeError.ts";
import type { Tracing } from "../observability/createTracing.ts";
import { traceResolvers } from "../observability/traceResolvers.ts";
import { readAccessRequirements } from "../security/accessRequirements.ts";
import { citizensReadPlugin } from "./citizensReadPlugin.ts";
import { createGatewayTokenVerifier, type SubgraphCaller } from "./createGatewayTokenVerifier.ts";
import { enforceAccess, relaxCitizenFields } from "./enforceAccess.ts";

export interface SecuredSubgraphOptions<Context> {
  name: string;
  typeDefs: DocumentNode;
  resolvers: object;
  /** The gateway's public keys: the only signer this subgraph trusts. */
  gatewayJwks: JSONWebKeySet;
  /** The rest of the per-request context, once the caller is verified. */
  context(caller: SubgraphCaller): Context;
  /** Plain routes besides GraphQL (health, metrics). */
  routes?: Record<string, RouteHandler>;
  graphqlPath?: string;
  /** Internal errors with their stack, one debug line per request, both with the gateway's request id. */
  logger?: Logger;
  /** Told of every response (metrics). */
  onResponse?(status: number, seconds: number): void;
  /** Continues the gateway's trace: a span per request and per resolver. */
  tracing?: Tracing;
  /** Told of each request refused before GraphQL ran (e.g. 401 without the gateway's token), to record it. */
  beforeRefusal?: GraphQLHttpServerOptions<object>["beforeRefusal"];
}

/** A subgraph's answer to a request made from inside its own process. */
export interface InProcessResponse {
  status: number;
  statusText: string;
  /** Lower-case names. */
  headers: Readonly<Record<string, string | undefined>>;
  body: string;
}

export interface SecuredSubgraph {
  handleRequest(request: IncomingMessage, response: ServerResponse): Promise<void>;
  /**
   * The same GraphQL POST as `handleRequest` gets, made from inside this
   * process (the gateway calling a subgraph it serves itself): the token is
   * checked the same way and Apollo runs the same request, with no socket, no
   * HTTP parsing and no second event-loop turn per chunk. Resolves undefined
   * when the token does not verify or the body is not JSON: the caller then
   * sends it over HTTP, where it is refused (and recorded) like any other.
   * @param headers lower-case names, as sent over HTTP
   */
  handleInProcess(headers: Readonly<Record<string, string>>, body: string): Promise<InProcessResponse | undefined>;
  stop(): Promise<void>;
}

export async function createSecuredSubgraph<Context extends object>(options: SecuredSubgraphOptions<Context>): Promise<SecuredSubgraph> {
  // Resolvers are checked against the types generated from the agency's SDL where they are written; Apollo's
  // map type does not model __resolveReference's (reference, context, info) signature, hence the assertion.
  const schema = buildSubgraphSchema({ typeDefs: relaxCitizenFields(options.typeDefs), resolvers: options.resolvers as GraphQLResolverMap<unknown> });
  enforceAccess(schema, readAccessRequirements(options.typeDefs));
  if (options.tracing) traceResolvers(schema, options.tracing);
  const verifyGatewayToken = createGatewayTokenVerifier({ jwks: options.gatewayJwks, subgraphName: options.name });
  type Full = Context & { caller: SubgraphCaller; citizensRead: Set<string>; requestId: string };
  const { logger } = options;
  const apollo = new ApolloServer<Full>({
    schema,
    introspection: false,
    includeStacktraceInErrorResponses: false,
    formatError: normalizeError,
    stopOnTerminationSignals: false,
    ...(logger ? { logger } : {}),
    plugins: [
      ApolloServerPluginLandingPageDisabled(),
      ApolloServerPluginInlineTraceDisabled(),
      // Answers are never cached (cache-control: no-store); its per-field hook costs every large answer.
      ApolloServerPluginCacheControlDisabled(),
      citizensReadPlugin(),
      ...(logger ? [errorLoggingPlugin<Full>({ logger, requestIdOf: (context) => context?.requestId })] : []),
    ],
  });
  await apollo.start();
  const contextOf = (caller: SubgraphCaller, requestId: string): Full => ({ ...options.context(caller), caller, citizensRead: new Set<string>(), requestId });
  const extraHeaders: Record<string, string> = { "cache-control": "no-store" };
  const handleRequest = createGraphQLRequestHandler<Full>({
    apollo,
    graphqlPath: options.graphqlPath,
    headers: extraHeaders,
    routes: options.routes,
    logger,
    accessLogLevel: "debug",
    onResponse: options.onResponse,
    tracing: options.tracing,
    beforeRefusal: options.beforeRefusal,
    // Only the gateway may call (checked below), and it sends its request id: log lines correlate.
    trustRequestId: true,
    context: async (request) => {
      let caller: SubgraphCaller;
      try {
        caller = await verifyGatewayToken(request.headers.authorization);
      } catch {
        throw new HttpError(401, ErrorCode.UNAUTHENTICATED, "Unauthenticated: only the gateway may call this service", { "www-authenticate": "Bearer" });
      }
      return contextOf(caller, requestIdOf(request));
    },
  });
  const handleInProcess = async (headers: Readonly<Record<string, string>>, body: string): Promise<InProcessResponse | undefined> => {
    let caller: SubgraphCaller;
    let parsed: unknown;
    try {
      caller = await verifyGatewayToken(headers.authorization);
      parsed = JSON.parse(body);
    } catch {
      return undefined;
    }
    const httpHeaders = new HeaderMap();
    for (const name in headers) httpHeaders.set(name, headers[name]!);
    // The caller is this process: its request id is its own.
    const requestId = headers[REQUEST_ID_HEADER] ?? randomUUID();
    const context = contextOf(caller, requestId);
    const result = await apollo.executeHTTPGraphQLRequest({
      httpGraphQLRequest: { method: "POST", headers: httpHeaders, search: "", body: parsed },
      context: async () => context,
    });
    let text = "";
    if (result.body.kind === "complete") text = result.body.string;
    else for await (const chunk of result.body.asyncIterator) text += chunk;
    const status = result.status ?? 200;
    const answerHeaders: Record<string, string> = { ...extraHeaders, [REQUEST_ID_HEADER]: requestId };
    for (const [name, value] of result.headers) answerHeaders[name] = value;
    return { status, statusText: STATUS_CODES[status] ?? "", headers: answerHeaders, body: text };
  };
  return { handleRequest, handleInProcess, stop: () => apollo.stop() };
}
