/**
 * Forged, broken and misused tokens: each is refused by the gateway with HTTP
 * 401 and one UNAUTHENTICATED error, no data, and before any agency is asked
 * (every subgraph's `sql_statements_total` is unchanged). And the subgraphs
 * themselves accept only the gateway's token for them, `_service` and
 * `_entities` included, and enforce scopes and citizen binding on their own.
 */
import { readFileSync } from "node:fs";
import { generateKeyPair, SignJWT, type JWTPayload } from "jose";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { DEFAULT_TOKEN_AUDIENCE, DEV_TOKEN_ISSUER } from "../../gateway/config.ts";
import { signDevToken, type DevTokenOptions } from "../../platform/security/signDevToken.ts";
import { GATEWAY_ISSUER, subgraphAudience } from "../../platform/security/subgraphTokens.ts";
import { postGraphQL, type GraphQLResult } from "../support/graphql.ts";
import { startSystem, type System } from "../support/startSystem.ts";
import { STANDARD_SCOPES } from "../support/standardScopes.ts";

const LI_WEI = "140105198605150031";
const WANG_FANG = "140105198803120028";
const ALL_SCOPES = STANDARD_SCOPES;
/** Reads something from every agency, so a token that got through would show in every subgraph's metrics. */
const EVERY_AGENCY_QUERY = `{ citizen(id: "${LI_WEI}") { id name isDishonestDebtor housingFundContributedMonths(atLeast: 12) ownsResidentialPropertyIn(city: "太原市") incomeRecord(year: 2025) { totalIncome } } }`;

const base64url = (value: unknown) => Buffer.from(typeof value === "string" ? value : JSON.stringify(value)).toString("base64url");
const now = () => Math.floor(Date.now() / 1000);

let system: System;

beforeAll(async () => {
  system = await startSystem({ suite: "token-attacks" });
});

afterAll(async () => {
  await system?.stop();
});

function devToken(extra: Partial<DevTokenOptions> = {}): Promise<string> {
  return signDevToken({
    key: system.issuerKey,
    issuer: DEV_TOKEN_ISSUER,
    audience: DEFAULT_TOKEN_AUDIENCE,
    subject: "app:token-attacks",
    scopes: ALL_SCOPES,
    purpose: "TOKEN_ATTACK_TEST",
    ...extra,
  });
}

/** A complete, valid app payload for hand-built tokens. */
function validPayload(): JWTPayload {
  const iat = now();
  return {
    iss: DEV_TOKEN_ISSUER,
    aud: DEFAULT_TOKEN_AUDIENCE,
    sub: "app:token-attacks",
    scope: ALL_SCOPES.join(" "),
    purpose: "TOKEN_ATTACK_TEST",
    jti: crypto.randomUUID(),
    iat,
    exp: iat + 3600,
  };
}

/** Signs exactly `payload` (no claim added) with the issuer's key. */
function signWithIssuerKey(payload: JWTPayload): Promise<string> {
  return new SignJWT(payload).setProtectedHeader({ alg: system.issuerKey.alg, kid: system.issuerKey.kid, typ: "JWT" }).sign(system.issuerKey.key);
}

/** `sql_statements_total` of every subgraph, by name. */
async function statementCounts(): Promise<Record<string, number>> {
  const counts: Record<string, number> = {};
  for (const [name, subgraph] of system.subgraphs) {
    const text = await (await fetch(subgraph.metricsUrl)).text();
    const match = /^sql_statements_total(?:\{[^}]*\})? (\d+)$/m.exec(text);
    expect(match, `metrics of ${name}`).not.toBeNull();
    counts[name] = Number(match![1]);
  }
  return counts;
}

function expectUnauthenticated(result: GraphQLResult): void {
  expect(result.status).toBe(401);
  expect(result.body.errors?.map((e) => e.extensions?.code)).toEqual(["UNAUTHENTICATED"]);
  expect(result.body.data ?? null).toBeNull();
}

/** Sends the attack and checks it was refused before any agency was asked. */
async function expectRefusedAtTheDoor(authorization: string): Promise<void> {
  const before = await statementCounts();
  const result = await postGraphQL(system.gatewayUrl, EVERY_AGENCY_QUERY, undefined, { authorization });
  expectUnauthenticated(result);
  expect(JSON.stringify(result.body)).not.toContain("李伟");
  expect(await statementCounts()).toEqual(before);
}

describe("attacks on the gateway's app-token check", () => {
  it("sanity: a valid token reaches every agency", async () => {
    const before = await statementCounts();
    const result = await postGraphQL(system.gatewayUrl, EVERY_AGENCY_QUERY, undefined, { authorization: `Bearer ${await devToken()}` });
    expect(result.status).toBe(200);
    expect(result.body.data.citizen.name).toBe("李伟");
    const after = await statementCounts();
    for (const name of system.subgraphs.keys()) expect(after[name], name).toBeGreaterThan(before[name]!);
  });

  it("no Authorization header", async () => {
    await expectRefusedAtTheDoor("");
  });

  it("Bearer garbage", async () => {
    await expectRefusedAtTheDoor("Bearer garbage");
    await expectRefusedAtTheDoor("Bearer a.b.c");
    await expectRefusedAtTheDoor("Bearer ");
    await expectRefusedAtTheDoor("Bearer not a token at all");
  });

  it("alg: none, unsigned", async () => {
    const header = base64url({ alg: "none", typ: "JWT" });
    const payload = base64url(validPayload());
    await expectRefusedAtTheDoor(`Bearer ${header}.${payload}.`);
    await expectRefusedAtTheDoor(`Bearer ${header}.${payload}`);
    const noneWithKid = base64url({ alg: "none", kid: system.issuerKey.kid, typ: "JWT" });
    await expectRefusedAtTheDoor(`Bearer ${noneWithKid}.${payload}.`);
  });

  it("HS256 signed with the issuer's public key material (algorithm confusion)", async () => {
    const jwksText = readFileSync(system.keys.issuerJwks, "utf8");
    const jwk = (JSON.parse(jwksText) as { keys: Array<{ x: string; kid: string }> }).keys[0]!;
    const secrets = [
      new TextEncoder().encode(jwksText),
      new TextEncoder().encode(JSON.stringify(jwk)),
      new TextEncoder().encode(jwk.x),
      Buffer.from(jwk.x, "base64url"),
    ];
    for (const secret of secrets) {
      const token = await new SignJWT(validPayload()).setProtectedHeader({ alg: "HS256", kid: jwk.kid, typ: "JWT" }).sign(secret);
      await expectRefusedAtTheDoor(`Bearer ${token}`);
    }
  });

  it("signed by an unknown key (same kid, and a new kid)", async () => {
    const { privateKey } = await generateKeyPair("ES256");
    const sameKid = await new SignJWT(validPayload()).setProtectedHeader({ alg: "ES256", kid: system.issuerKey.kid, typ: "JWT" }).sign(privateKey);
    await expectRefusedAtTheDoor(`Bearer ${sameKid}`);
    const newKid = await new SignJWT(validPayload()).setProtectedHeader({ alg: "ES256", kid: "attacker-key", typ: "JWT" }).sign(privateKey);
    await expectRefusedAtTheDoor(`Bearer ${newKid}`);
    const noKid = await new SignJWT(validPayload()).setProtectedHeader({ alg: "ES256", typ: "JWT" }).sign(privateKey);
    await expectRefusedAtTheDoor(`Bearer ${noKid}`);
  });

  it("signed by the gateway's own key (a subgraph token is not an app token)", async () => {
    const token = await new SignJWT(validPayload())
      .setProtectedHeader({ alg: system.gatewayKey.alg, kid: system.gatewayKey.kid, typ: "JWT" })
      .sign(system.gatewayKey.key);
    await expectRefusedAtTheDoor(`Bearer ${token}`);
  });

  it("tampered payload with the original signature", async () => {
    const valid = await devToken({ scopes: ["civil-affairs:identity"] });
    const [header, payload, signature] = valid.split(".");
    const claims = JSON.parse(Buffer.from(payload!, "base64url").toString("utf8")) as JWTPayload;
    const tampered = base64url({ ...claims, scope: ALL_SCOPES.join(" ") });
    await expectRefusedAtTheDoor(`Bearer ${header}.${tampered}.${signature}`);
    const rebound = base64url({ ...claims, citizens: [LI_WEI] });
    await expectRefusedAtTheDoor(`Bearer ${header}.${rebound}.${signature}`);
  });

  it("expired beyond the clock tolerance", async () => {
    await expectRefusedAtTheDoor(`Bearer ${await devToken({ expiresAt: now() - 120 })}`);
  });

  it("not yet valid: nbf 10 minutes ahead", async () => {
    await expectRefusedAtTheDoor(`Bearer ${await devToken({ claims: { nbf: now() + 600 } })}`);
  });

  it("not yet valid: iat 10 minutes ahead", async () => {
    await expectRefusedAtTheDoor(`Bearer ${await signWithIssuerKey({ ...validPayload(), iat: now() + 600 })}`);
  });

  it("wrong issuer", async () => {
    await expectRefusedAtTheDoor(`Bearer ${await devToken({ issuer: "urn:attacker:issuer" })}`);
    await expectRefusedAtTheDoor(`Bearer ${await devToken({ issuer: GATEWAY_ISSUER })}`);
  });

  it("wrong audience", async () => {
    await expectRefusedAtTheDoor(`Bearer ${await devToken({ audience: "urn:another-service" })}`);
    await expectRefusedAtTheDoor(`Bearer ${await devToken({ audience: subgraphAudience("civil-affairs") })}`);
  });

  it("missing purpose", async () => {
    await expectRefusedAtTheDoor(`Bearer ${await devToken({ purpose: undefined })}`);
    await expectRefusedAtTheDoor(`Bearer ${await devToken({ purpose: "   " })}`);
  });

  it("missing jti", async () => {
    const { jti: _jti, ...withoutJti } = validPayload();
    await expectRefusedAtTheDoor(`Bearer ${await signWithIssuerKey(withoutJti)}`);
  });

  it("missing exp, iat or sub", async () => {
    for (const claim of ["exp", "iat", "sub"] as const) {
      const payload = validPayload();
      delete payload[claim];
      await expectRefusedAtTheDoor(`Bearer ${await signWithIssuerKey(payload)}`);
    }
  });

  it("citizens claim with an invalid resident id", async () => {
    // 李伟's id with a wrong check character.
    await expectRefusedAtTheDoor(`Bearer ${await devToken({ citizens: ["140105198605150032"] })}`);
    await expectRefusedAtTheDoor(`Bearer ${await devToken({ citizens: [WANG_FANG, "not-an-id"] })}`);
    await expectRefusedAtTheDoor(`Bearer ${await devToken({ claims: { citizens: WANG_FANG } })}`);
  });
});

/** A field per agency that needs a scope, read on 李伟 through `_entities`. */
const SCOPED_FIELD: Record<string, { selection: string; scope: string; field: string }> = {
  "civil-affairs": { selection: "name", scope: "civil-affairs:identity", field: "name" },
  credit: { selection: "creditReport { score }", scope: "credit:report", field: "creditReport" },
  "housing-fund": { selection: "housingFundAccount { status }", scope: "housing-fund:account", field: "housingFundAccount" },
  "real-estate": { selection: "properties { city }", scope: "real-estate:property", field: "properties" },
  tax: { selection: "incomeRecord(year: 2025) { year }", scope: "tax:income", field: "incomeRecord" },
};
const SUBGRAPHS = Object.keys(SCOPED_FIELD);

function entitiesQuery(selection = "__typename"): string {
  return `query($representations: [_Any!]!) { _entities(representations: $representations) { ... on Citizen { __typename ${selection === "__typename" ? "" : selection} } } }`;
}
const LI_WEI_REPRESENTATION = { representations: [{ __typename: "Citizen", id: LI_WEI }] };

function gatewayToken(options: { audienceOf: string; scopes?: readonly string[]; citizens?: readonly string[] }): Promise<string> {
  return new SignJWT({
    scope: (options.scopes ?? ALL_SCOPES).join(" "),
    purpose: "TOKEN_ATTACK_TEST",
    ...(options.citizens ? { citizens: [...options.citizens] } : {}),
  })
    .setProtectedHeader({ alg: system.gatewayKey.alg, kid: system.gatewayKey.kid, typ: "JWT" })
    .setIssuer(GATEWAY_ISSUER)
    .setAudience(subgraphAudience(options.audienceOf))
    .setSubject("app:token-attacks")
    .setJti(crypto.randomUUID())
    .setIssuedAt()
    .setExpirationTime("5m")
    .sign(system.gatewayKey.key);
}

describe.each(SUBGRAPHS)("the %s subgraph called directly", (name) => {
  const url = () => system.subgraphs.get(name)!.url;
  const post = (query: string, variables: Record<string, unknown> | undefined, authorization: string) =>
    postGraphQL(url(), query, variables, { authorization });

  it("refuses _service and _entities without a token", async () => {
    expectUnauthenticated(await post("{ _service { sdl } }", undefined, ""));
    expectUnauthenticated(await post(entitiesQuery(), LI_WEI_REPRESENTATION, ""));
  });

  it("refuses an app token signed by the issuer", async () => {
    const appToken = await devToken();
    expectUnauthenticated(await post("{ _service { sdl } }", undefined, `Bearer ${appToken}`));
    expectUnauthenticated(await post(entitiesQuery(), LI_WEI_REPRESENTATION, `Bearer ${appToken}`));
    // The issuer's key with the gateway's issuer and this subgraph's audience is still not the gateway.
    const forged = await new SignJWT({ scope: ALL_SCOPES.join(" "), purpose: "X" })
      .setProtectedHeader({ alg: system.issuerKey.alg, kid: system.issuerKey.kid })
      .setIssuer(GATEWAY_ISSUER)
      .setAudience(subgraphAudience(name))
      .setSubject("app:forged")
      .setIssuedAt()
      .setExpirationTime("5m")
      .sign(system.issuerKey.key);
    expectUnauthenticated(await post(entitiesQuery(), LI_WEI_REPRESENTATION, `Bearer ${forged}`));
  });

  it("refuses a gateway token for another subgraph's audience", async () => {
    const other = SUBGRAPHS.find((s) => s !== name)!;
    const token = await gatewayToken({ audienceOf: other });
    expectUnauthenticated(await post("{ _service { sdl } }", undefined, `Bearer ${token}`));
    expectUnauthenticated(await post(entitiesQuery(), LI_WEI_REPRESENTATION, `Bearer ${token}`));
  });

  it("answers a correct gateway token", async () => {
    const token = await gatewayToken({ audienceOf: name });
    const service = await post("{ _service { sdl } }", undefined, `Bearer ${token}`);
    expect(service.status).toBe(200);
    expect(service.body.data._service.sdl).toContain("Citizen");
    const entities = await post(entitiesQuery(), LI_WEI_REPRESENTATION, `Bearer ${token}`);
    expect(entities.status).toBe(200);
    expect(entities.body.data).toEqual({ _entities: [{ __typename: "Citizen" }] });
    expect(entities.body.errors ?? []).toEqual([]);
    const scoped = SCOPED_FIELD[name]!;
    const withField = await post(entitiesQuery(scoped.selection), LI_WEI_REPRESENTATION, `Bearer ${token}`);
    expect(withField.body.errors ?? []).toEqual([]);
    expect(withField.body.data._entities[0][scoped.field]).not.toBeNull();
  });

  it("refuses a field whose scope the gateway token lacks", async () => {
    const scoped = SCOPED_FIELD[name]!;
    const token = await gatewayToken({ audienceOf: name, scopes: ALL_SCOPES.filter((s) => s !== scoped.scope) });
    const result = await post(entitiesQuery(scoped.selection), LI_WEI_REPRESENTATION, `Bearer ${token}`);
    expect(result.status).toBe(200);
    const forbidden = (result.body.errors ?? []).filter((e) => JSON.stringify(e.path) === JSON.stringify(["_entities", 0, scoped.field]));
    expect(forbidden.map((e) => e.extensions?.code)).toEqual(["FORBIDDEN"]);
    const entity = result.body.data?._entities?.[0];
    expect(entity == null || entity[scoped.field] === null).toBe(true);
  });

  // KNOWN BUG (defense in depth): subgraphs/shared/enforceAccess.ts sets `Citizen.resolveReference` on the
  // GraphQLObjectType, but @apollo/subgraph 2.14's _entities resolver reads
  // `type.extensions.apollo.subgraph.resolveReference`, so the binding check on entity references never runs
  // and a bound gateway token gets other citizens' data through `_entities`. Remove `.fails` once fixed.
  it("refuses an entity reference to a citizen outside the token's binding", async () => {
    const token = await gatewayToken({ audienceOf: name, citizens: [WANG_FANG] });
    const scoped = SCOPED_FIELD[name]!;
    const result = await post(entitiesQuery(scoped.selection), LI_WEI_REPRESENTATION, `Bearer ${token}`);
    expect(result.body.errors?.map((e) => [e.path, e.extensions?.code])).toEqual([[["_entities", 0], "FORBIDDEN"]]);
    expect(result.body.data?._entities?.[0] ?? null).toBeNull();
  });

  it("answers an entity reference to a citizen inside the token's binding", async () => {
    const token = await gatewayToken({ audienceOf: name, citizens: [WANG_FANG] });
    const own = await post(entitiesQuery(), { representations: [{ __typename: "Citizen", id: WANG_FANG }] }, `Bearer ${token}`);
    expect(own.status).toBe(200);
    expect(own.body.data).toEqual({ _entities: [{ __typename: "Citizen" }] });
  });
});
