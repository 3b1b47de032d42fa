/**
 * Agency developers' tools introspect the supergraph: the standard
 * introspection query (graphql-js getIntrospectionQuery, as GraphiQL and
 * code generators send it) answers for a token holding schema:introspect,
 * and only for one. Data queries keep every limit.
 */
import { buildClientSchema, getIntrospectionQuery, isObjectType } from "graphql";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { DEFAULT_TOKEN_AUDIENCE, DEV_TOKEN_ISSUER } from "../../gateway/config.ts";
import { signDevToken } from "../../platform/security/signDevToken.ts";
import { postGraphQL } from "../support/graphql.ts";
import { STANDARD_SCOPES } from "../support/standardScopes.ts";
import { startSystem, type System } from "../support/startSystem.ts";

let system: System;
let developer: string;
let app: string;

const tokenWith = (scopes: string[]) =>
  signDevToken({ key: system.issuerKey, issuer: DEV_TOKEN_ISSUER, audience: DEFAULT_TOKEN_AUDIENCE, subject: "app:agency-developer", scopes, purpose: "SCHEMA_DEVELOPMENT" });

beforeAll(async () => {
  system = await startSystem({ suite: "schema-introspection" });
  developer = await tokenWith([...STANDARD_SCOPES, "schema:introspect"]);
  app = await tokenWith(STANDARD_SCOPES);
});

afterAll(async () => {
  await system?.stop();
});

const FULL_INTROSPECTION = getIntrospectionQuery({ descriptions: true, specifiedByUrl: true, directiveIsRepeatable: true, schemaDescription: true, inputValueDeprecation: true });

describe("introspection", () => {
  it("answers the standard introspection query for schema:introspect, with the schema's descriptions", async () => {
    const result = await postGraphQL(system.gatewayUrl, FULL_INTROSPECTION, undefined, { authorization: `Bearer ${developer}` });
    expect(result.status).toBe(200);
    expect(result.body.errors).toBeUndefined();
    const schema = buildClientSchema(result.body.data);
    const citizen = schema.getType("Citizen");
    expect(isObjectType(citizen) && Object.keys(citizen.getFields())).toEqual(expect.arrayContaining(["name", "housingFundAccount", "creditReport"]));
    expect(isObjectType(citizen) && citizen.getFields().name!.description).toBeTruthy();
  });

  it("lets schema:introspect nest type references deeper than the depth limit", async () => {
    let ofType = "name";
    for (let i = 0; i < 14; i++) ofType = `name ofType { ${ofType} }`;
    const result = await postGraphQL(system.gatewayUrl, `{ __schema { types { fields { type { ${ofType} } } } } }`, undefined, { authorization: `Bearer ${developer}` });
    expect(result.body.errors).toBeUndefined();
    expect(result.body.data.__schema.types.length).toBeGreaterThan(10);
  });

  it("refuses introspection without schema:introspect", async () => {
    const result = await postGraphQL(system.gatewayUrl, FULL_INTROSPECTION, undefined, { authorization: `Bearer ${app}` });
    expect(result.body.data?.__schema ?? null).toBeNull();
    const codes = (result.body.errors ?? []).map((error) => error.extensions?.code);
    expect(codes.length).toBeGreaterThan(0);
    for (const code of codes) expect(["FORBIDDEN", "OPERATION_LIMIT_EXCEEDED"]).toContain(code);
  });

  it("keeps the depth limit on data for schema:introspect tokens", async () => {
    let spouse = "name";
    for (let i = 0; i < 30; i++) spouse = `spouse { ${spouse} }`;
    const result = await postGraphQL(system.gatewayUrl, `{ citizen(id: "140105198605150031") { ${spouse} } __schema { queryType { name } } }`, undefined, {
      authorization: `Bearer ${developer}`,
    });
    expect(result.body.errors?.map((error) => error.extensions?.code)).toEqual(["OPERATION_LIMIT_EXCEEDED"]);
  });
});
