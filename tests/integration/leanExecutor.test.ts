/**
 * The lean executor (gateway/execution/) answers exactly what @apollo/gateway's
 * own executor answers: the same operations, run by both over the real
 * subgraphs (credit stopped, so one agency is down), give the same data and
 * the same errors at the same paths; what it does not run itself goes to
 * @apollo/gateway's executor.
 */
import { createHash, randomUUID } from "node:crypto";
import { readFileSync } from "node:fs";
import { ApolloGateway } from "@apollo/gateway";
import type { GatewayExecutor, GatewayGraphQLRequestContext } from "@apollo/server-gateway-interface";
import { GraphQLError, parse, type OperationDefinitionNode } from "graphql";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { readGatewayConfig } from "../../gateway/config.ts";
import type { GatewayContext } from "../../gateway/GatewayContext.ts";
import { createLeanGateway, type LeanGateway } from "../../gateway/execution/createLeanGateway.ts";
import { AgencyDataSource } from "../../gateway/subgraphs/AgencyDataSource.ts";
import { createSubgraphTokenSigner } from "../../gateway/subgraphs/createSubgraphTokenSigner.ts";
import { prepareSupergraphForGateway } from "../../gateway/supergraph/prepareSupergraphForGateway.ts";
import { scopesOf } from "../../schema/scopesOf.ts";
import { BATCH, ONE_STOP } from "../../scripts/bench/workloads.ts";
import { startSystem, type System } from "../support/startSystem.ts";

const LI_WEI = "140105198605150031";
const WANG_FANG = "140105198803120028";
const ZHANG_MIN = "330106197501050017";
const UNKNOWN_ID = "110101199001010010";

const VERIFY = `query Verify($id: ID!) {
  citizen(id: $id) {
    housingFundContributedMonths(atLeast: 12)
    ownsResidentialPropertyIn(city: "太原市")
    incomeAtLeast(year: 2025, amount: "100000.00")
    isDishonestDebtor
  }
}`;

/** Aliases, __typename (also aliased), named and inline fragments selecting the same fields twice. */
const SHAPES = `query Shapes($id: ID!) {
  kind: __typename
  person: citizen(id: $id) {
    __typename
    t: __typename
    ...Identity
    ... on Citizen { name spouse { ...Identity name } }
    homes: properties { __typename addr: address owners { share owner { ...Identity } } }
    properties { floorArea }
  }
}
fragment Identity on Citizen { name who: name gender }`;

interface Case {
  name: string;
  query: string;
  variables?: Record<string, unknown>;
  operationName?: string;
  /** Which executor must answer it. */
  runsOn: "lean" | "apollo";
}

const CASES: Case[] = [
  { name: "one-stop (credit down)", query: ONE_STOP, variables: { id: LI_WEI }, operationName: "OneStop", runsOn: "lean" },
  { name: "one-stop, co-owner", query: ONE_STOP, variables: { id: WANG_FANG }, operationName: "OneStop", runsOn: "lean" },
  { name: "one-stop, two properties", query: ONE_STOP, variables: { id: ZHANG_MIN }, operationName: "OneStop", runsOn: "lean" },
  { name: "one-stop, unknown citizen", query: ONE_STOP, variables: { id: UNKNOWN_ID }, operationName: "OneStop", runsOn: "lean" },
  { name: "batch with an unknown id", query: BATCH, variables: { ids: [LI_WEI, UNKNOWN_ID, WANG_FANG, ZHANG_MIN] }, operationName: "Batch", runsOn: "lean" },
  { name: "verify", query: VERIFY, variables: { id: ZHANG_MIN }, operationName: "Verify", runsOn: "lean" },
  { name: "aliases, __typename and fragments", query: SHAPES, variables: { id: LI_WEI }, runsOn: "lean" },
  // tax refuses a Money literal that is not canonical (HTTP 400): its errors, the rest of the data.
  { name: "an agency's refusal", query: `{ citizen(id: "${LI_WEI}") { name incomeAtLeast(year: 2025, amount: "1.5") } }`, runsOn: "lean" },
  { name: "a variable of the wrong type", query: ONE_STOP, variables: { id: 42.5 }, operationName: "OneStop", runsOn: "lean" },
  { name: "a missing variable", query: ONE_STOP, variables: {}, operationName: "OneStop", runsOn: "lean" },
  { name: "only the down agency", query: `{ citizen(id: "${LI_WEI}") { creditReport { score } isDishonestDebtor } }`, runsOn: "lean" },
  { name: "@skip", query: `query($s: Boolean!) { citizen(id: "${LI_WEI}") { name gender @skip(if: $s) } }`, variables: { s: true }, runsOn: "apollo" },
  { name: "introspection", query: `{ __type(name: "Citizen") { name } citizen(id: "${LI_WEI}") { name } }`, runsOn: "apollo" },
];

let system: System;
let apollo: GatewayExecutor;
let lean: GatewayExecutor;
let leanGateway: LeanGateway;
let principal: GatewayContext["principal"];

function gatewayWith(subgraphUrls: Record<string, string>) {
  const sources = new Map<string, AgencyDataSource>();
  const subgraphTokenFor = createSubgraphTokenSigner({ key: system.gatewayKey });
  const config = readGatewayConfig({});
  const gateway = new ApolloGateway({
    supergraphSdl: prepareSupergraphForGateway(readFileSync(config.supergraphPath, "utf8")),
    logger: { debug() {}, info() {}, warn() {}, error() {} },
    buildService: ({ name }) => {
      const source = new AgencyDataSource({ name, url: subgraphUrls[name]!, timeoutMs: 5_000, subgraphTokenFor });
      sources.set(name, source);
      return source;
    },
  });
  return { gateway, sources };
}

function requestContext(testCase: Case): GatewayGraphQLRequestContext<GatewayContext> {
  const document = parse(testCase.query);
  const operation = document.definitions.find((d): d is OperationDefinitionNode => d.kind === "OperationDefinition")!;
  const context: GatewayContext = {
    principal,
    requestId: randomUUID(),
    startedAt: Date.now(),
    startedAtMonotonic: performance.now(),
    clientAddress: "127.0.0.1",
    subgraphsCalled: new Set(),
    citizensRead: new Set(),
  };
  return {
    request: { query: testCase.query, variables: structuredClone(testCase.variables ?? {}), operationName: testCase.operationName },
    document,
    operation,
    operationName: testCase.operationName ?? null,
    queryHash: createHash("sha256").update(testCase.query).digest("hex"),
    source: testCase.query,
    context,
    metrics: {},
    logger: { debug() {}, info() {}, warn() {}, error() {} },
    overallCachePolicy: undefined,
  } as unknown as GatewayGraphQLRequestContext<GatewayContext>;
}

/** A result as a client would see its JSON; errors in a stable order (parallel fetches finish in any order). */
function asJson(result: Awaited<ReturnType<GatewayExecutor>>) {
  const errors = result.errors?.map((error) => (error instanceof GraphQLError ? error.toJSON() : { message: (error as Error).message }));
  const json = JSON.parse(JSON.stringify({ ...result, errors }));
  json.errors?.sort((a: unknown, b: unknown) => JSON.stringify(a).localeCompare(JSON.stringify(b)));
  return json;
}

beforeAll(async () => {
  system = await startSystem({ suite: "lean-executor", withoutAgencies: ["credit"], grants: [] });
  const config = readGatewayConfig({});
  const scopes = new Set(scopesOf(readFileSync(config.supergraphPath, "utf8")));
  principal = {
    kind: "app",
    app: "app:lean-executor-test",
    scopes,
    scopeKey: [...scopes].sort().join(" "),
    citizens: null,
    purpose: "INTEGRATION_TEST",
    tokenId: randomUUID(),
    issuedAt: Math.floor(Date.now() / 1000),
    expiresAt: Math.floor(Date.now() / 1000) + 3600,
  };
  const urls = system.gateway.subgraphUrls;
  apollo = (await gatewayWith(urls).gateway.load({ apollo: {} })).executor!;
  const leanSide = gatewayWith(urls);
  leanGateway = createLeanGateway(leanSide.gateway, { services: (name) => leanSide.sources.get(name) });
  lean = (await leanGateway.load({ apollo: {} })).executor!;
}, 240_000);

afterAll(async () => {
  await system?.stop();
});

describe("the lean executor", () => {
  for (const testCase of CASES) {
    it(`answers as @apollo/gateway does: ${testCase.name}`, async () => {
      const before = { ...leanGateway.counts };
      const apolloContext = requestContext(testCase);
      const leanContext = requestContext(testCase);
      const expected = asJson(await apollo(apolloContext));
      const actual = asJson(await lean(leanContext));
      expect(actual).toEqual(expected);
      expect(leanGateway.counts[testCase.runsOn]).toBe(before[testCase.runsOn] + 1);
      // The audit record's inputs are filled alike.
      expect([...leanContext.context.subgraphsCalled].sort()).toEqual([...apolloContext.context.subgraphsCalled].sort());
      expect([...leanContext.context.citizensRead].sort()).toEqual([...apolloContext.context.citizensRead].sort());
    });
  }

  it("gives the down agency's fields null and SUBGRAPH_UNAVAILABLE, and the other agencies' data", async () => {
    const result = asJson(await lean(requestContext(CASES[0]!)));
    expect(result.data.citizen.name).toBeTruthy();
    expect(result.data.citizen.housingFundAccount).not.toBeNull();
    expect(result.data.citizen.creditReport).toBeNull();
    expect(result.data.citizen.isDishonestDebtor).toBeNull();
    const unavailable = result.errors.filter((error: { extensions: { code: string } }) => error.extensions.code === "SUBGRAPH_UNAVAILABLE");
    expect(unavailable.map((error: { path: unknown[] }) => error.path.join("."))).toEqual(["citizen.creditReport", "citizen.isDishonestDebtor"]);
  });

  it("follows nested entity fetches (loan collateral, its owners) to the same data", async () => {
    const result = asJson(await lean(requestContext(CASES[0]!)));
    const owners = result.data.citizen.housingFundAccount.loans.flatMap((loan: any) => loan.collateral?.owners ?? []);
    expect(owners.length).toBeGreaterThan(0);
    for (const owner of owners) expect(owner.owner.name).toBeTruthy();
  });
});
