/**
 * The files of a new agency's subgraph, as text: SDL with one example field
 * (described and classified for the data catalog), Prisma schema, loader,
 * resolvers, seed, definition, process entry and an integration test that
 * queries the field through the gateway. `npm run new-agency` writes them.
 */

export interface AgencyNames {
  /** kebab-case, e.g. `social-security`: folder, subgraph name, scope prefix. */
  name: string;
  /** For people, e.g. `社会保障`. */
  title: string;
  port: number;
}

const pascal = (name: string) => name.replace(/(^|-)([a-z0-9])/g, (_m, _dash, c: string) => c.toUpperCase());
const camel = (name: string) => pascal(name).replace(/^./, (c) => c.toLowerCase());
const snake = (name: string) => name.replace(/-/g, "_");

/** Names derived from the agency's: the example field, its model, table and scope. */
export function derivedNames(agency: AgencyNames) {
  return {
    field: `${camel(agency.name)}Status`,
    model: `${pascal(agency.name)}Status`,
    table: `${snake(agency.name)}_status`,
    scope: `${agency.name}:status`,
    loaders: `${pascal(agency.name)}Loaders`,
    createLoaders: `create${pascal(agency.name)}Loaders`,
    seedDemo: `seed${pascal(agency.name)}Demo`,
    seedGenerated: `seed${pascal(agency.name)}Generated`,
  };
}

export function agencyFiles(agency: AgencyNames): Record<string, string> {
  const n = derivedNames(agency);
  const owner = `owner ${agency.name} (${agency.title})`;
  return {
    "schema.graphql": `# ${agency.title} (${agency.name}): one example field; add the agency's own beside it.

extend schema
  @link(url: "https://specs.apollo.dev/federation/v2.6", import: ["@key", "@authenticated", "@requiresScopes", "@composeDirective"])
  @link(url: "https://specs.example/gov-catalog/v1.0", import: ["@classification"])
  @composeDirective(name: "@classification")

"公民 — a resident, identified by an 18-character GB 11643 resident identity number."
type Citizen @key(fields: "id") {
  "居民身份号码 — resident identity number, 18 characters (GB 11643). L2 internal, any authenticated caller, owner civil-affairs (民政)."
  id: ID! @authenticated @classification(level: L2)
  "${agency.title}状态 — the citizen's status at ${agency.title} (example field); null when none. L3 personal, scope ${n.scope}, ${owner}."
  ${n.field}: String @requiresScopes(scopes: [["${n.scope}"]]) @classification(level: L3)
}
`,
    "prisma/schema.prisma": `// ${agency.title} (${agency.name}).

generator client {
  provider        = "prisma-client"
  output          = "./generated"
  engineType      = "client"
  previewFeatures = ["queryCompiler", "driverAdapters"]
  moduleFormat    = "esm"
}

// The URL is only read by the CLI; services connect through driver adapters.
datasource db {
  provider = "postgresql"
  url      = env("PRISMA_SCHEMA_URL")
}

/// The example field's rows: one status per citizen.
model ${n.model} {
  citizenId String @id @map("citizen_id") @db.Char(18)
  status    String @db.VarChar(32)

  @@map("${n.table}")
}
`,
    "loaders.ts": `import { createRowLoader } from "../shared/createLoaders.ts";
import type { PrismaClient } from "./prisma/generated/client.ts";

/** Per-request loaders of ${agency.title}. */
export function ${n.createLoaders}(prisma: PrismaClient) {
  return {
    status: createRowLoader(
      (citizenIds: readonly string[]) =>
        prisma.${camel(n.model)}.findMany({ where: { citizenId: { in: [...citizenIds] } }, select: { citizenId: true, status: true } }),
      (row) => row.citizenId,
    ),
  };
}

export type ${n.loaders} = ReturnType<typeof ${n.createLoaders}>;
`,
    "resolvers.ts": `import type { SubgraphContext } from "../shared/agency.ts";
import type { Resolvers } from "./generated/resolverTypes.ts";
import type { ${n.loaders} } from "./loaders.ts";
import type { PrismaClient } from "./prisma/generated/client.ts";

type Context = SubgraphContext<PrismaClient, ${n.loaders}>;

// Typed from this agency's SDL (npm run generate): a field renamed in schema.graphql is a compile error here.
export const resolvers: Resolvers<Context> = {
  Citizen: {
    // A reference carries only the id; every field below reads through a loader.
    __resolveReference: (reference: { id: string }) => ({ id: reference.id }),
    async ${n.field}(citizen: { id: string }, _args: unknown, { loaders }: Context) {
      return (await loaders.status.load(citizen.id))?.status ?? null;
    },
  },
};
`,
    "seed.ts": `import type { CitizenRange } from "../shared/agency.ts";
import { forEachChunk, generatedCitizenId } from "../shared/syntheticPopulation.ts";
import type { PrismaClient } from "./prisma/generated/client.ts";

export async function ${n.seedDemo}(prisma: PrismaClient): Promise<void> {
  await prisma.${camel(n.model)}.createMany({
    skipDuplicates: true,
    data: [
      { citizenId: "140105198605150031", status: "ACTIVE" },
      { citizenId: "140105198803120028", status: "ACTIVE" },
    ],
  });
}

export async function ${n.seedGenerated}(prisma: PrismaClient, range: CitizenRange): Promise<number> {
  let rows = 0;
  await forEachChunk(range, 2000, async (indexes) => {
    rows += (await prisma.${camel(n.model)}.createMany({ skipDuplicates: true, data: indexes.map((index) => ({ citizenId: generatedCitizenId(index), status: "ACTIVE" })) })).count;
  });
  return rows;
}
`,
    "server.ts": `/** ${agency.title} (${agency.name}): its subgraph definition, built and started by ../shared/startSubgraph.ts. */
import { agencyEntry } from "../agencyManifest.ts";
import type { Agency } from "../shared/agency.ts";
import { ${n.createLoaders}, type ${n.loaders} } from "./loaders.ts";
import { PrismaClient } from "./prisma/generated/client.ts";
import { resolvers } from "./resolvers.ts";
import { ${n.seedDemo}, ${n.seedGenerated} } from "./seed.ts";

export const agency: Agency<PrismaClient, ${n.loaders}> = {
  ...agencyEntry("${agency.name}"),
  createClient: (options) => new PrismaClient(options),
  createLoaders: ${n.createLoaders},
  resolvers,
  isEmpty: async (prisma) => (await prisma.${camel(n.model)}.count()) === 0,
  seedDemo: ${n.seedDemo},
  seedGenerated: ${n.seedGenerated},
};
`,
    "main.ts": `// Starts the ${agency.name} subgraph process (PORT, DATA_DIR, DATABASE_URL: see ../shared/config.ts).
import { runSubgraph } from "../shared/startSubgraph.ts";
import { agency } from "./server.ts";

await runSubgraph(agency);
`,
  };
}

/** The agency's integration test (under tests/integration/): its field through the gateway, with and without its scope. */
export function agencyTest(agency: AgencyNames): string {
  const n = derivedNames(agency);
  return `/** ${agency.title} (${agency.name}) through the gateway: its example field, allowed and refused by scope. */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { DEFAULT_TOKEN_AUDIENCE, DEV_TOKEN_ISSUER } from "../../gateway/config.ts";
import { signDevToken } from "../../platform/security/signDevToken.ts";
import { postGraphQL } from "../support/graphql.ts";
import { startSystem, type System } from "../support/startSystem.ts";

let system: System;

beforeAll(async () => {
  // The test app applies for its scopes through the governance API, as every app does.
  system = await startSystem({
    suite: "${agency.name}",
    grants: [{ app: "app:${agency.name}-test", purpose: "INTEGRATION_TEST", scopes: ["civil-affairs:identity", "${n.scope}"] }],
  });
});

afterAll(async () => {
  await system?.stop();
});

const tokenWith = (scopes: string[]) =>
  signDevToken({ key: system.issuerKey, issuer: DEV_TOKEN_ISSUER, audience: DEFAULT_TOKEN_AUDIENCE, subject: "app:${agency.name}-test", scopes, purpose: "INTEGRATION_TEST" });

describe("${agency.name}", () => {
  it("answers ${n.field} beside other agencies' fields for a token holding ${n.scope}", async () => {
    const token = await tokenWith(["civil-affairs:identity", "${n.scope}"]);
    const result = await postGraphQL(system.gatewayUrl, \`{ citizen(id: "140105198605150031") { name ${n.field} } }\`, undefined, { authorization: \`Bearer \${token}\` });
    expect(result.body.errors).toBeUndefined();
    expect(result.body.data.citizen).toEqual({ name: "李伟", ${n.field}: "ACTIVE" });
  });

  it("answers null with FORBIDDEN naming ${n.scope} for a token without it", async () => {
    const token = await tokenWith(["civil-affairs:identity"]);
    const result = await postGraphQL(system.gatewayUrl, \`{ citizen(id: "140105198605150031") { name ${n.field} } }\`, undefined, { authorization: \`Bearer \${token}\` });
    expect(result.body.data.citizen).toEqual({ name: "李伟", ${n.field}: null });
    expect(result.body.errors?.[0]?.extensions).toMatchObject({ code: "FORBIDDEN", requiredScopes: [["${n.scope}"]] });
  });
});
`;
}
