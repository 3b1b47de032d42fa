/**
 * @apollo/gateway for what it is good at (loading the supergraph, planning
 * each operation once), and a lean executor for the plans it makes for this
 * supergraph: Fetch, Sequence, Parallel and Flatten nodes without data
 * rewrites (executePlanNodes.ts), and the response shaped by a shape
 * compiled once per operation (compileResultShape.ts). Per request it skips
 * what @apollo/gateway's executor repeats every time: building the
 * federation operation again, five no-op OpenTelemetry spans per fetch,
 * usage-reporting trace nodes, node-fetch Request/Headers objects per fetch.
 *
 * Everything else goes to @apollo/gateway's own executor, unchanged: plans
 * with @defer, conditions or rewrites, introspection, @skip/@include,
 * subscriptions, operations it cannot build, and requests whose trace is
 * sampled (their spans are @apollo/gateway's `gateway.plan`,
 * `gateway.execute` and the rest, as before).
 */
import type { ApolloGateway } from "@apollo/gateway";
import type {
  GatewayExecutionResult,
  GatewayExecutor,
  GatewayGraphQLRequestContext,
  GatewayInterface,
} from "@apollo/server-gateway-interface";
import { operationFromDocument, type Schema } from "@apollo/federation-internals";
import type { PlanNode, QueryPlan, QueryPlanner } from "@apollo/query-planner";
import { getVariableValues, GraphQLError, Kind, type GraphQLSchema, type OperationDefinitionNode } from "graphql";
import apolloOperationContext from "@apollo/gateway/dist/operationContext.js";
import apolloResultShaping from "@apollo/gateway/dist/resultShaping.js";
import { compileResultShape, type ResultShape } from "./compileResultShape.ts";
import { executePlanNode, isLeanPlan, type PlanService } from "./executePlanNodes.ts";

const { buildOperationContext } = apolloOperationContext;
const { computeResponse } = apolloResultShaping;

export interface LeanGatewayOptions {
  /** The subgraphs by name (the same data sources @apollo/gateway's executor uses). */
  services(name: string): PlanService | undefined;
  /** True while the current request's trace is sampled: such requests run on @apollo/gateway's executor and spans. */
  traced?(): boolean;
  /** Operations whose compiled plan is kept. @default 1000 */
  maxOperations?: number;
}

/** @apollo/gateway's private state the lean executor reads (the same objects its own executor uses). */
interface ApolloGatewayInternals {
  schema: GraphQLSchema;
  apiSchema: Schema;
  supergraphSchema: GraphQLSchema;
}

type CompiledOperation =
  | { lean: false }
  | {
      lean: true;
      plan: QueryPlan & { node: PlanNode };
      operation: ReturnType<typeof operationFromDocument>;
      operationDefinition: OperationDefinitionNode;
      shape: ResultShape;
      schema: GraphQLSchema;
      supergraphSchema: GraphQLSchema;
    };

export interface LeanGateway extends GatewayInterface {
  /** How many requests each executor answered (tests and the bench read it). */
  readonly counts: { lean: number; apollo: number };
}

export function createLeanGateway(gateway: ApolloGateway, options: LeanGatewayOptions): LeanGateway {
  const maxOperations = options.maxOperations ?? 1000;
  const compiled = new Map<string, CompiledOperation>();
  const counts = { lean: 0, apollo: 0 };
  const internals = gateway as unknown as ApolloGatewayInternals;

  function compile(requestContext: GatewayGraphQLRequestContext): CompiledOperation {
    const { document, request } = requestContext;
    try {
      const operationContext = buildOperationContext({ schema: internals.schema, operationDocument: document, operationName: request.operationName });
      const operationDefinition = operationContext.operation;
      if (operationDefinition.operation !== "query" && operationDefinition.operation !== "mutation") return { lean: false };
      const queryPlanner: QueryPlanner = gateway.__testing().queryPlanner!;
      const plan = queryPlanner.buildQueryPlan(operationFromDocument(internals.apiSchema, document, { operationName: request.operationName }));
      if (!plan.node || !isLeanPlan(plan.node)) return { lean: false };
      // As executeQueryPlan builds it for shaping: the chosen operation and its fragments, unvalidated.
      const operation = operationFromDocument(
        internals.apiSchema,
        { kind: Kind.DOCUMENT, definitions: [operationDefinition, ...Object.values(operationContext.fragments)] },
        { validate: false },
      );
      const shape = compileResultShape(operation);
      if (!shape) return { lean: false };
      return { lean: true, plan: plan as QueryPlan & { node: PlanNode }, operation, operationDefinition, shape, schema: internals.schema, supergraphSchema: internals.supergraphSchema };
    } catch {
      // Whatever @apollo/gateway makes of it (an error response, most likely), it says so itself.
      return { lean: false };
    }
  }

  function compiledFor(requestContext: GatewayGraphQLRequestContext): CompiledOperation {
    const key = `${requestContext.queryHash}\n${requestContext.request.operationName ?? ""}`;
    let entry = compiled.get(key);
    if (entry) return entry;
    entry = compile(requestContext);
    if (compiled.size >= maxOperations) compiled.delete(compiled.keys().next().value!);
    compiled.set(key, entry);
    return entry;
  }

  async function executeLean(entry: CompiledOperation & { lean: true }, requestContext: GatewayGraphQLRequestContext): Promise<GatewayExecutionResult> {
    const variableDefinitions = entry.operationDefinition.variableDefinitions;
    if (variableDefinitions) {
      const { errors } = getVariableValues(entry.schema, variableDefinitions, requestContext.request.variables || {});
      if (errors) return { errors };
    }
    const data: Record<string, unknown> = Object.create(null);
    const run = { requestContext, services: options.services, supergraphSchema: entry.supergraphSchema, errors: [] as unknown[] };
    await executePlanNode(run, entry.plan.node, { path: [], data, fullResult: data });
    const errors = run.errors as GraphQLError[];
    const shaped = entry.shape.shape(data);
    if (shaped) return errors.length === 0 ? { data: shaped } : { errors, data: shaped };
    return shapeAsApollo(entry, requestContext, data, errors);
  }

  let fallback: GatewayExecutor | undefined;
  const executor: GatewayExecutor = async (requestContext) => {
    const entry = compiledFor(requestContext);
    if (!entry.lean || options.traced?.()) {
      counts.apollo += 1;
      return fallback!(requestContext);
    }
    counts.lean += 1;
    return executeLean(entry, requestContext);
  };

  return {
    counts,
    async load(loadOptions) {
      const loaded = await gateway.load(loadOptions);
      fallback = loaded.executor;
      return { executor };
    },
    onSchemaLoadOrUpdate(callback) {
      return gateway.onSchemaLoadOrUpdate((schemaContext) => {
        compiled.clear();
        callback(schemaContext);
      });
    },
    stop: () => gateway.stop(),
  };
}

/** executeQueryPlan's post-processing step, for a response the compiled shape gave up on. */
function shapeAsApollo(
  entry: CompiledOperation & { lean: true },
  requestContext: GatewayGraphQLRequestContext,
  input: Record<string, unknown>,
  errors: GraphQLError[],
): GatewayExecutionResult {
  const variables = requestContext.request.variables;
  try {
    const { data, errors: postProcessingErrors } = computeResponse({
      operation: entry.operation,
      variables,
      input,
      introspectionHandling: () => {
        throw new Error("introspection reached the lean executor");
      },
    });
    if (errors.length === 0 && postProcessingErrors.length > 0) return { extensions: { valueCompletion: postProcessingErrors }, data };
    return errors.length === 0 ? { data } : { errors, data };
  } catch (error) {
    if (error instanceof GraphQLError) return { errors: [error] };
    if (error instanceof Error) return { errors: [new GraphQLError(error.message, { originalError: error })] };
    requestContext.logger.error("Unexpected error during query plan execution: " + error);
    return { errors: [new GraphQLError("Unexpected error during query plan execution")] };
  }
}
