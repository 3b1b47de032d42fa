/**
 * The common GraphQL clients against the running gateway, each used as its
 * docs show: graphql-request, Apollo Client (core, HttpLink) and urql
 * (@urql/core, which sends queries as GET: it needs the CSRF header the
 * README names). A token that covers only part of a query gets the rest:
 * partial data and FORBIDDEN errors (with extensions.reason and
 * requiredScopes, so an app team knows what to ask for) reach each client
 * the way its users expect.
 */
import { ApolloClient, CombinedGraphQLErrors, HttpLink, InMemoryCache, gql } from "@apollo/client";
import { Client as UrqlClient, fetchExchange } from "@urql/core";
import { ClientError, GraphQLClient } from "graphql-request";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { DEFAULT_TOKEN_AUDIENCE, DEV_TOKEN_ISSUER } from "../../gateway/config.ts";
import { signDevToken } from "../../platform/security/signDevToken.ts";
import { startSystem, type System } from "../support/startSystem.ts";

const LI_WEI = "140105198605150031";
const QUERY = `query CitizenCard($id: ID!) { citizen(id: $id) { name housingFundAccount { balance } } }`;

let system: System;
let identityOnly: string;

beforeAll(async () => {
  system = await startSystem({ suite: "client-libraries" });
  identityOnly = await signDevToken({
    key: system.issuerKey,
    issuer: DEV_TOKEN_ISSUER,
    audience: DEFAULT_TOKEN_AUDIENCE,
    subject: "app:client-libraries",
    scopes: ["civil-affairs:identity"],
    purpose: "CLIENT_LIBRARY_TEST",
  });
});

afterAll(async () => {
  await system?.stop();
});

interface ErrorLike {
  message: string;
  path?: ReadonlyArray<string | number>;
  extensions?: Record<string, unknown>;
}

/** What the app team reads from the refusal: the path, the code, why, and the scopes that would allow it. */
function expectHousingFundForbidden(errors: readonly ErrorLike[] | undefined): void {
  expect(errors?.length).toBeGreaterThan(0);
  const forbidden = errors!.find((error) => error.path?.join(".") === "citizen.housingFundAccount");
  expect(forbidden?.extensions).toMatchObject({ code: "FORBIDDEN", reason: "SCOPE", requiredScopes: [["housing-fund:account"]] });
}

describe("graphql-request", () => {
  it("throws a ClientError holding the partial data and the FORBIDDEN errors (default error policy)", async () => {
    const client = new GraphQLClient(system.gatewayUrl, { headers: { authorization: `Bearer ${identityOnly}` } });
    const error = await client.request(QUERY, { id: LI_WEI }).catch((caught: unknown) => caught);
    expect(error).toBeInstanceOf(ClientError);
    const { response } = error as ClientError;
    expect(response.data).toEqual({ citizen: { name: "李伟", housingFundAccount: null } });
    expectHousingFundForbidden(response.errors);
  });

  it("returns data and errors side by side with errorPolicy 'all'", async () => {
    const client = new GraphQLClient(system.gatewayUrl, { headers: { authorization: `Bearer ${identityOnly}` }, errorPolicy: "all" });
    const result = await client.rawRequest<{ citizen: { name: string; housingFundAccount: null } }>(QUERY, { id: LI_WEI });
    expect(result.data.citizen).toEqual({ name: "李伟", housingFundAccount: null });
    expectHousingFundForbidden(result.errors);
  });

  it("reads everything with a token covering the query", async () => {
    const client = new GraphQLClient(system.gatewayUrl, { headers: { authorization: `Bearer ${system.allScopesToken}` } });
    const data = await client.request<{ citizen: { name: string; housingFundAccount: { balance: string } } }>(QUERY, { id: LI_WEI });
    expect(data.citizen.name).toBe("李伟");
    expect(data.citizen.housingFundAccount.balance).toMatch(/^\d+\.\d{2}$/);
  });
});

describe("Apollo Client (core, HttpLink)", () => {
  const clientWith = (token: string) =>
    new ApolloClient({
      link: new HttpLink({ uri: system.gatewayUrl, headers: { authorization: `Bearer ${token}` } }),
      cache: new InMemoryCache(),
    });

  it("gives partial data and CombinedGraphQLErrors with errorPolicy 'all'", async () => {
    const result = await clientWith(identityOnly).query({ query: gql(QUERY), variables: { id: LI_WEI }, errorPolicy: "all" });
    expect(result.data).toMatchObject({ citizen: { name: "李伟", housingFundAccount: null } });
    expect(CombinedGraphQLErrors.is(result.error)).toBe(true);
    expectHousingFundForbidden((result.error as CombinedGraphQLErrors).errors);
  });

  it("rejects with CombinedGraphQLErrors under the default error policy", async () => {
    const error = await clientWith(identityOnly)
      .query({ query: gql(QUERY), variables: { id: LI_WEI } })
      .catch((caught: unknown) => caught);
    expect(CombinedGraphQLErrors.is(error)).toBe(true);
    expectHousingFundForbidden((error as CombinedGraphQLErrors).errors);
  });

  it("reads everything with a token covering the query", async () => {
    const result = await clientWith(system.allScopesToken).query({ query: gql(QUERY), variables: { id: LI_WEI } });
    expect(result.error).toBeUndefined();
    expect(result.data).toMatchObject({ citizen: { name: "李伟", housingFundAccount: { balance: expect.stringMatching(/^\d+\.\d{2}$/) } } });
  });
});

describe("urql (@urql/core)", () => {
  const clientWith = (headers: Record<string, string>) =>
    new UrqlClient({ url: system.gatewayUrl, exchanges: [fetchExchange], fetchOptions: { headers } });

  it("sends GET, which CSRF prevention refuses without the header, naming it", async () => {
    const result = await clientWith({ authorization: `Bearer ${identityOnly}` }).query(QUERY, { id: LI_WEI }).toPromise();
    expect(result.data).toBeUndefined();
    const messages = [...(result.error?.graphQLErrors ?? []).map((error) => error.message), result.error?.networkError?.message ?? ""].join(" ");
    expect(messages).toContain("apollo-require-preflight");
  });

  it("gives partial data and a CombinedError with the FORBIDDEN errors, with apollo-require-preflight", async () => {
    const result = await clientWith({ authorization: `Bearer ${identityOnly}`, "apollo-require-preflight": "true" }).query(QUERY, { id: LI_WEI }).toPromise();
    expect(result.data).toEqual({ citizen: { name: "李伟", housingFundAccount: null } });
    expectHousingFundForbidden(result.error?.graphQLErrors);
  });

  it("reads everything with a token covering the query", async () => {
    const result = await clientWith({ authorization: `Bearer ${system.allScopesToken}`, "apollo-require-preflight": "true" }).query(QUERY, { id: LI_WEI }).toPromise();
    expect(result.error).toBeUndefined();
    expect(result.data.citizen.name).toBe("李伟");
  });
});
