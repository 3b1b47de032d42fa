/**
 * Runs a query plan's Fetch, Sequence, Parallel and Flatten nodes the way
 * @apollo/gateway's executeQueryPlan.js does (same variables per fetch, same
 * representations from the fetch's `requires`, entities merged with its
 * deepMerge, subgraph errors mapped onto the client's paths with its
 * `generateHydratedPaths`), without its per-node OpenTelemetry spans and
 * usage-reporting trace nodes. Only plans made of those four kinds and no
 * data rewrites reach it (see isLeanPlan).
 */
import type { GatewayGraphQLRequestContext, GatewayGraphQLResponse } from "@apollo/server-gateway-interface";
import { assert, ERRORS, errorCodeDef } from "@apollo/federation-internals";
import type { FetchNode, PlanNode, QueryPlanSelectionNode, SubscriptionNode } from "@apollo/query-planner";
import { GraphQLError, type GraphQLFormattedError, type GraphQLSchema } from "graphql";
import apolloDataRewrites from "@apollo/gateway/dist/dataRewrites.js";
import apolloDeepMerge from "@apollo/gateway/dist/utilities/deepMerge.js";
import apolloExecution from "@apollo/gateway/dist/executeQueryPlan.js";

const { isObjectOfType } = apolloDataRewrites;
const { deepMerge } = apolloDeepMerge;
const { generateHydratedPaths } = apolloExecution;

/** A subgraph as the lean executor calls it: one GraphQL request, its response (errors included, never thrown for an unavailable agency). */
export interface PlanService {
  send(request: SubgraphRequest, requestContext: GatewayGraphQLRequestContext): Promise<GatewayGraphQLResponse>;
}

export interface SubgraphRequest {
  query: string;
  variables: Record<string, unknown>;
  operationName: string | undefined;
}

type ResponsePath = Array<string | number>;
type ResultMap = Record<string, any>;

interface Cursor {
  path: ResponsePath;
  data: ResultMap | ResultMap[];
  fullResult: ResultMap;
}

export interface PlanRun {
  requestContext: GatewayGraphQLRequestContext;
  services: (name: string) => PlanService | undefined;
  supergraphSchema: GraphQLSchema;
  /** Collected as executeQueryPlan collects them (fetch completion order). */
  errors: unknown[];
}

const hasOwn = (object: object, key: string) => Object.prototype.hasOwnProperty.call(object, key);

/** Whether every node of `node` is one this executor runs, with no data rewrites. */
export function isLeanPlan(node: PlanNode | SubscriptionNode): boolean {
  switch (node.kind) {
    case "Sequence":
    case "Parallel":
      return node.nodes.every(isLeanPlan);
    case "Flatten":
      return isLeanPlan(node.node);
    case "Fetch":
      return !node.hasDefers && !node.inputRewrites?.length && !node.outputRewrites?.length && !node.contextRewrites?.length;
    default:
      return false;
  }
}

export async function executePlanNode(run: PlanRun, node: PlanNode, cursor: Cursor | undefined): Promise<void> {
  if (!cursor) return;
  switch (node.kind) {
    case "Sequence":
      for (const child of node.nodes) await executePlanNode(run, child, cursor);
      return;
    case "Parallel":
      await Promise.all(node.nodes.map((child) => executePlanNode(run, child, cursor)));
      return;
    case "Flatten":
      return executePlanNode(run, node.node, moveIntoCursor(cursor, node.path));
    case "Fetch":
      try {
        await executeFetch(run, node, cursor);
      } catch (error) {
        run.errors.push(error);
      }
      return;
    default:
      throw new Error(`query plan node ${node.kind} reached the lean executor`);
  }
}

async function executeFetch(run: PlanRun, fetch: FetchNode, cursor: Cursor): Promise<void> {
  const service = run.services(fetch.serviceName);
  if (!service) throw new Error(`Couldn't find service with name "${fetch.serviceName}"`);
  const entities: ResultMap[] = Array.isArray(cursor.data) ? cursor.data.filter((entity) => entity !== null && entity !== undefined) : [cursor.data];
  if (entities.length < 1) return;
  const variables: Record<string, unknown> = Object.create(null);
  const provided = run.requestContext.request.variables;
  if (fetch.variableUsages && provided) {
    for (const name of fetch.variableUsages) {
      if (hasOwn(provided, name) && typeof provided[name] !== "undefined") variables[name] = provided[name];
    }
  }
  if (!fetch.requires) {
    const received = await send(run, service, fetch, cursor, variables);
    for (const entity of entities) deepMerge(entity, received);
    return;
  }
  const representations: ResultMap[] = [];
  const representationToEntity: number[] = [];
  entities.forEach((entity, index) => {
    const representation = executeSelectionSet(run.supergraphSchema, entity, fetch.requires!);
    if (representation && representation.__typename) {
      representations.push(representation);
      representationToEntity.push(index);
    }
  });
  if (representations.length < 1) return;
  if ("representations" in variables) throw new Error(`Variables cannot contain key "representations"`);
  const received = await send(run, service, fetch, cursor, { ...variables, representations });
  if (!received) return;
  if (!(received._entities && Array.isArray(received._entities))) throw new Error(`Expected "data._entities" in response to be an array`);
  const receivedEntities: ResultMap[] = received._entities;
  if (receivedEntities.length !== representations.length) throw new Error(`Expected "data._entities" to contain ${representations.length} elements`);
  for (let i = 0; i < entities.length; i++) {
    const receivedEntity = receivedEntities[i];
    const existingEntity = entities[representationToEntity[i]!]!;
    if (receivedEntity && !receivedEntity.__typename) receivedEntity.__typename = existingEntity.__typename;
    deepMerge(entities[representationToEntity[i]!], receivedEntity);
  }
}

async function send(run: PlanRun, service: PlanService, fetch: FetchNode, cursor: Cursor, variables: Record<string, unknown>): Promise<ResultMap | null | undefined> {
  const response = await service.send({ query: fetch.operation, variables, operationName: fetch.operationName }, run.requestContext);
  if (response.errors) {
    const pathOf = errorPathGenerator(fetch, cursor);
    for (const error of response.errors) run.errors.push(downstreamServiceError(error, fetch.serviceName, pathOf));
    if (!response.extensions?.ftv1) {
      const metrics = run.requestContext.metrics;
      const paths = response.errors.map((error) => ({ subgraph: fetch.serviceName, path: error.path }));
      if (metrics.nonFtv1ErrorPaths) metrics.nonFtv1ErrorPaths.push(...paths);
      else metrics.nonFtv1ErrorPaths = paths;
    }
  }
  return response.data;
}

function errorPathGenerator(fetch: FetchNode, cursor: Cursor) {
  let hydratedPaths: ResponsePath[] | undefined;
  return (errorPath: ReadonlyArray<string | number> | undefined): ResponsePath | undefined => {
    if (fetch.requires && typeof errorPath?.[1] === "number") {
      if (!hydratedPaths) {
        hydratedPaths = [];
        generateHydratedPaths([], cursor.path, cursor.fullResult, hydratedPaths);
      }
      return [...(hydratedPaths[errorPath[1]] ?? []), ...errorPath.slice(2)];
    }
    return errorPath ? [...cursor.path, ...errorPath.slice()] : undefined;
  };
}

function downstreamServiceError(original: GraphQLFormattedError, serviceName: string, pathOf: ReturnType<typeof errorPathGenerator>): GraphQLError {
  const message = original.message || `Error while fetching subquery from service "${serviceName}"`;
  const { extensions } = original;
  const options = { originalError: original as unknown as Error, path: pathOf(original.path), extensions: { ...extensions, serviceName } };
  const codeDef = errorCodeDef(original);
  if (!codeDef && extensions?.code) return new GraphQLError(message, options);
  return (codeDef ?? ERRORS.DOWNSTREAM_SERVICE_ERROR).err(message, options);
}

function executeSelectionSet(schema: GraphQLSchema, source: ResultMap | null, selections: readonly QueryPlanSelectionNode[]): ResultMap | null {
  if (source === null) return null;
  const result: ResultMap = Object.create(null);
  for (const selection of selections) {
    if (selection.kind === "Field") {
      const responseName = selection.alias ?? selection.name;
      const nested = selection.selections;
      if (!hasOwn(source, responseName) || typeof source[responseName] === "undefined") return null;
      const value = source[responseName];
      if (Array.isArray(value)) result[responseName] = value.map((item) => (nested ? executeSelectionSet(schema, item, nested) : item));
      else if (nested) result[responseName] = executeSelectionSet(schema, value, nested);
      else result[responseName] = value;
    } else {
      if (!selection.typeCondition || !source) continue;
      if (isObjectOfType(schema, source, selection.typeCondition)) deepMerge(result, executeSelectionSet(schema, source, selection.selections));
    }
  }
  return result;
}

function moveIntoCursor(cursor: Cursor, pathInCursor: ResponsePath): Cursor | undefined {
  const data = flattenResultsAtPath(cursor.data, pathInCursor);
  return data ? { path: cursor.path.concat(pathInCursor), data, fullResult: cursor.fullResult } : undefined;
}

function flattenResultsAtPath(value: any, path: ResponsePath): any {
  if (path.length === 0) return value;
  if (value === undefined || value === null) return value;
  const [current, ...rest] = path;
  if (current === "@") return value.flatMap((element: unknown) => flattenResultsAtPath(element, rest));
  assert(typeof current === "string", () => `Unexpected ${typeof current} found in path`);
  assert(!Array.isArray(value), () => `Unexpected array in result for path element ${current}`);
  return flattenResultsAtPath(hasOwn(value, current) ? value[current] : undefined, rest);
}
