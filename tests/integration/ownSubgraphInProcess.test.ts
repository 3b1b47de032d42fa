/**
 * The gateway calls the subgraphs it serves itself (audit, governance) in its
 * own process (gateway/createOwnSubgraphFetcher.ts). That path must answer
 * exactly what the subgraph answers over HTTP, check the gateway token and the
 * SDL's scopes the same way, keep the deadline and the size limit, and send a
 * request whose token does not verify over HTTP, where it is refused.
 */
import { mkdtempSync, rmSync } from "node:fs";
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { parse } from "graphql";
import { SignJWT } from "jose";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createOwnSubgraphFetcher } from "../../gateway/createOwnSubgraphFetcher.ts";
import { createSubgraphFetcher, SubgraphDeadlineError, SubgraphResponseTooLargeError } from "../../gateway/subgraphs/createSubgraphFetcher.ts";
import { ensureDevKeys, loadSigningKey, publicJwksOfPrivateKey, type SigningKey } from "../../platform/security/keys.ts";
import { GATEWAY_ISSUER, subgraphAudience } from "../../platform/security/subgraphTokens.ts";
import { createSecuredSubgraph, type SecuredSubgraph } from "../../platform/subgraph/createSecuredSubgraph.ts";

const NAME = "ledger";
const PATH = "/subgraphs/ledger/graphql";
const TYPE_DEFS = parse(`
  extend schema @link(url: "https://specs.apollo.dev/federation/v2.6", import: ["@requiresScopes"])
  type Query {
    echo(text: String!): String! @requiresScopes(scopes: [["ledger:read"]])
    slow: String! @requiresScopes(scopes: [["ledger:read"]])
    big(length: Int!): String! @requiresScopes(scopes: [["ledger:read"]])
  }
`);

let dataDir: string;
let gatewayKey: SigningKey;
let subgraph: SecuredSubgraph;
let server: Server;
let url: string;
let httpRequests = 0;
let releaseSlow: () => void = () => {};

async function gatewayToken(scope: string, options: { audience?: string } = {}): Promise<string> {
  const now = Math.floor(Date.now() / 1000);
  return new SignJWT({ scope, purpose: "TESTING" })
    .setProtectedHeader({ alg: gatewayKey.alg, kid: gatewayKey.kid, typ: "JWT" })
    .setIssuer(GATEWAY_ISSUER)
    .setAudience(options.audience ?? subgraphAudience(NAME))
    .setSubject("app:ledger-test")
    .setIssuedAt(now)
    .setExpirationTime(now + 60)
    .sign(gatewayKey.key);
}

async function headersWith(token: string): Promise<Record<string, string>> {
  return { "content-type": "application/json", authorization: `Bearer ${token}`, "x-request-id": "own-subgraph-test" };
}

const body = (query: string) => JSON.stringify({ query });

beforeAll(async () => {
  dataDir = mkdtempSync(join(tmpdir(), "own-subgraph-"));
  const keys = await ensureDevKeys(dataDir);
  gatewayKey = await loadSigningKey(keys.gatewayPrivate);
  subgraph = await createSecuredSubgraph({
    name: NAME,
    typeDefs: TYPE_DEFS,
    gatewayJwks: publicJwksOfPrivateKey(keys.gatewayPrivate),
    graphqlPath: PATH,
    context: () => ({}),
    resolvers: {
      Query: {
        echo: (_: unknown, { text }: { text: string }) => text,
        slow: () => new Promise<string>((resolve) => (releaseSlow = () => resolve("late"))),
        big: (_: unknown, { length }: { length: number }) => "x".repeat(length),
      },
    },
  });
  server = createServer((request, response) => {
    httpRequests += 1;
    void subgraph.handleRequest(request, response);
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  url = `http://127.0.0.1:${(server.address() as AddressInfo).port}${PATH}`;
});

afterAll(async () => {
  releaseSlow();
  await new Promise<void>((resolve) => server.close(() => resolve()));
  await subgraph.stop();
  rmSync(dataDir, { recursive: true, force: true });
});

describe("a subgraph the gateway serves itself, called in its own process", () => {
  it("answers what it answers over HTTP, without an HTTP request", async () => {
    const headers = await headersWith(await gatewayToken("ledger:read"));
    const query = body(`{ echo(text: "数据多跑路") }`);
    const overHttp = await createSubgraphFetcher({ timeoutMs: 5_000 })(url, headers, query);
    const before = httpRequests;
    const inProcess = await createOwnSubgraphFetcher(subgraph, { timeoutMs: 5_000 })(url, headers, query);
    expect(httpRequests).toBe(before);
    expect(inProcess.status).toBe(overHttp.status);
    expect(JSON.parse(inProcess.body)).toEqual(JSON.parse(overHttp.body));
    expect(JSON.parse(inProcess.body)).toEqual({ data: { echo: "数据多跑路" } });
    expect(inProcess.headers["cache-control"]).toBe("no-store");
    expect(inProcess.headers["x-request-id"]).toBe("own-subgraph-test");
  });

  it("enforces the SDL's scopes as over HTTP: a field the token's scopes do not cover is refused", async () => {
    const headers = await headersWith(await gatewayToken("other:read"));
    const query = body(`{ echo(text: "x") }`);
    const before = httpRequests;
    const inProcess = await createOwnSubgraphFetcher(subgraph, { timeoutMs: 5_000 })(url, headers, query);
    expect(httpRequests).toBe(before);
    const answer = JSON.parse(inProcess.body);
    expect(answer.data).toBeNull();
    expect(answer.errors.map((e: { extensions: { code: string } }) => e.extensions.code)).toEqual(["FORBIDDEN"]);
    const overHttp = JSON.parse((await createSubgraphFetcher({ timeoutMs: 5_000 })(url, headers, query)).body);
    expect(answer).toEqual(overHttp);
  });

  it("sends a token that does not verify (another subgraph's, or none) over HTTP, where it is refused with 401", async () => {
    const fetcher = createOwnSubgraphFetcher(subgraph, { timeoutMs: 5_000 });
    const query = body(`{ echo(text: "x") }`);
    for (const token of [await gatewayToken("ledger:read", { audience: subgraphAudience("tax") }), "not-a-jwt"]) {
      const before = httpRequests;
      const answer = await fetcher(url, await headersWith(token), query);
      expect(httpRequests).toBe(before + 1);
      expect(answer.status).toBe(401);
      expect(JSON.parse(answer.body).errors[0].extensions.code).toBe("UNAUTHENTICATED");
    }
  });

  it("keeps the deadline: a slow answer fails the fetch as a deadline, and the subgraph keeps answering", async () => {
    const headers = await headersWith(await gatewayToken("ledger:read"));
    const fetcher = createOwnSubgraphFetcher(subgraph, { timeoutMs: 100 });
    await expect(fetcher(url, headers, body("{ slow }"))).rejects.toBeInstanceOf(SubgraphDeadlineError);
    releaseSlow();
    const next = await fetcher(url, headers, body(`{ echo(text: "next") }`));
    expect(JSON.parse(next.body)).toEqual({ data: { echo: "next" } });
  });

  it("keeps the size limit: an answer larger than the limit fails the fetch", async () => {
    const headers = await headersWith(await gatewayToken("ledger:read"));
    const fetcher = createOwnSubgraphFetcher(subgraph, { timeoutMs: 5_000, maxResponseBytes: 10_000 });
    await expect(fetcher(url, headers, body("{ big(length: 20000) }"))).rejects.toBeInstanceOf(SubgraphResponseTooLargeError);
    const small = await fetcher(url, headers, body("{ big(length: 5000) }"));
    expect(JSON.parse(small.body).data.big).toHaveLength(5000);
  });
});
