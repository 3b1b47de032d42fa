import { readFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { Kind, parse, print, visit, type ConstDirectiveNode, type ObjectTypeDefinitionNode } from "graphql";
import { describe, expect, it } from "vitest";
import { agencySubgraphDefinitions, supergraphSubgraphDefinitions } from "../../schema/agencySubgraphDefinitions.ts";
import { UnclassifiedFieldError } from "../../schema/assertClassified.ts";
import { OneDatumOneSourceError } from "../../schema/assertOneDatumOneSource.ts";
import { composeSupergraph } from "../../schema/composeSupergraph.ts";

const SUPERGRAPH_PATH = fileURLToPath(new URL("../../schema/supergraph.graphql", import.meta.url));
const committedSupergraph = readFileSync(SUPERGRAPH_PATH, "utf8");

/** A subgraph that tries to answer for civil affairs' `Citizen.name`. */
const ROGUE = {
  name: "rogue",
  url: "http://127.0.0.1:4999/graphql",
  typeDefs: `
    extend schema @link(url: "https://specs.apollo.dev/federation/v2.6", import: ["@key", "@shareable"])
    type Citizen @key(fields: "id") {
      id: ID!
      name: String! @shareable
    }
  `,
};

/** The standard's scoped fields: every other field needs `@authenticated`. */
const STANDARD_SCOPES: Record<string, string> = {
  "Citizen.name": "civil-affairs:identity",
  "Citizen.gender": "civil-affairs:identity",
  "Citizen.birthDate": "civil-affairs:identity",
  "Citizen.maritalStatus": "civil-affairs:marriage",
  "Citizen.marriageRecords": "civil-affairs:marriage",
  "Citizen.spouse": "civil-affairs:marriage",
  "Citizen.housingFundAccount": "housing-fund:account",
  "HousingFundAccount.balance": "housing-fund:balance",
  "HousingFundAccount.contributions": "housing-fund:balance",
  "HousingFundAccount.loans": "housing-fund:loan",
  "Citizen.housingFundContributedMonths": "housing-fund:verify",
  "Citizen.properties": "real-estate:property",
  "Property.mortgages": "real-estate:mortgage",
  "Citizen.ownsResidentialPropertyIn": "real-estate:verify",
  "Citizen.incomeRecord": "tax:income",
  "Property.deedTaxPaid": "tax:property",
  "Citizen.incomeAtLeast": "tax:verify",
  "Citizen.creditReport": "credit:report",
  "Citizen.isDishonestDebtor": "credit:verify",
};

function objectTypes(sdl: string): ObjectTypeDefinitionNode[] {
  return parse(sdl).definitions.filter((d): d is ObjectTypeDefinitionNode => d.kind === Kind.OBJECT_TYPE_DEFINITION);
}

/** The scopes of a `@requiresScopes(scopes: [[...]])` directive, flattened. */
function scopesOf(directive: ConstDirectiveNode): string[] {
  const argument = directive.arguments?.find((a) => a.name.value === "scopes");
  const scopes: string[] = [];
  const collect = (node: unknown): void => {
    const value = node as { kind: string; value?: string; values?: unknown[] };
    if (value.kind === Kind.STRING) scopes.push(value.value!);
    else if (value.kind === Kind.LIST) value.values!.forEach(collect);
  };
  if (argument) collect(argument.value);
  return scopes;
}

describe("supergraph composition", () => {
  it("composes the five agencies into exactly the committed schema/supergraph.graphql", () => {
    const composed = composeSupergraph(supergraphSubgraphDefinitions());
    expect(composed).toBe(committedSupergraph);
  });

  it("composes the five agencies in start-up order", () => {
    expect(agencySubgraphDefinitions().map((s) => s.name)).toEqual(["civil-affairs", "housing-fund", "real-estate", "tax", "credit"]);
  });

  it("refuses a subgraph that also resolves Citizen.name, even when @shareable (一数一源)", () => {
    let thrown: unknown;
    try {
      composeSupergraph([...agencySubgraphDefinitions(), ROGUE]);
    } catch (error) {
      thrown = error;
    }
    expect(thrown).toBeInstanceOf(OneDatumOneSourceError);
    const error = thrown as OneDatumOneSourceError;
    expect(error.violations).toContainEqual({ coordinate: "Citizen.name", subgraphs: ["civil-affairs", "rogue"] });
    // The key field is shared by design, not a violation.
    expect(error.violations.map((v) => v.coordinate)).not.toContain("Citizen.id");
    expect(error.message).toContain("civil-affairs");
    expect(error.message).toContain("rogue");
  });

  it("keeps the security links (for: SECURITY) in the committed supergraph", () => {
    const schema = parse(committedSupergraph).definitions.find((d) => d.kind === Kind.SCHEMA_DEFINITION);
    const links = (schema?.directives ?? [])
      .filter((d) => d.name.value === "link")
      .map((d) => Object.fromEntries((d.arguments ?? []).map((a) => [a.name.value, print(a.value)])));
    const security = links.filter((link) => link.for === "SECURITY").map((link) => link.url);
    expect(security).toEqual(
      expect.arrayContaining([
        expect.stringMatching(/^"https:\/\/specs\.apollo\.dev\/authenticated\/v0\.\d+"$/),
        expect.stringMatching(/^"https:\/\/specs\.apollo\.dev\/requiresScopes\/v0\.\d+"$/),
      ]),
    );
  });

  it("keeps @requiresScopes on Citizen.name with scope civil-affairs:identity", () => {
    const citizen = objectTypes(committedSupergraph).find((t) => t.name.value === "Citizen")!;
    const name = citizen.fields!.find((f) => f.name.value === "name")!;
    const requiresScopes = name.directives!.filter((d) => d.name.value === "requiresScopes");
    expect(requiresScopes).toHaveLength(1);
    expect(scopesOf(requiresScopes[0]!)).toEqual(["civil-affairs:identity"]);
  });

  it("carries the standard's scope on every scoped field, and @authenticated on every other field", () => {
    const found: Record<string, string[]> = {};
    const unprotected: string[] = [];
    for (const type of objectTypes(committedSupergraph)) {
      for (const field of type.fields ?? []) {
        const coordinate = `${type.name.value}.${field.name.value}`;
        const directives = field.directives ?? [];
        const scoped = directives.filter((d) => d.name.value === "requiresScopes");
        if (scoped.length > 0) found[coordinate] = scoped.flatMap(scopesOf);
        else if (!directives.some((d) => d.name.value === "authenticated")) unprotected.push(coordinate);
      }
    }
    // The standard's scopes, plus the audit log's own (an extension the standard allows).
    const AUDIT_SCOPES = {
      "Query.auditRecords": "audit:read",
      "Query.auditChain": "audit:read",
      "Query.auditSummary": "audit:read",
      "Query.auditAnomalies": "audit:read",
      "Citizen.accessLog": "self:access-log",
    };
    expect(found).toEqual(Object.fromEntries(Object.entries({ ...STANDARD_SCOPES, ...AUDIT_SCOPES }).map(([c, scope]) => [c, [scope]])));
    expect(unprotected).toEqual([]);
  });

  it("refuses an agency field without @classification, naming the field and the subgraph", () => {
    const [civil, ...others] = agencySubgraphDefinitions();
    const unclassified = { ...civil!, typeDefs: civil!.typeDefs.replace("birthDate: Date! @requiresScopes(scopes: [[\"civil-affairs:identity\"]]) @classification(level: L3)", "birthDate: Date! @requiresScopes(scopes: [[\"civil-affairs:identity\"]])") };
    expect(unclassified.typeDefs).not.toBe(civil!.typeDefs);
    let thrown: unknown;
    try {
      composeSupergraph([unclassified, ...others]);
    } catch (error) {
      thrown = error;
    }
    expect(thrown).toBeInstanceOf(UnclassifiedFieldError);
    expect((thrown as UnclassifiedFieldError).fields).toEqual([{ subgraph: "civil-affairs", coordinate: "Citizen.birthDate" }]);
    expect((thrown as Error).message).toContain("Citizen.birthDate");
  });

  it("keeps @classification on the supergraph's agency fields (composeDirective)", () => {
    const citizen = objectTypes(committedSupergraph).find((t) => t.name.value === "Citizen")!;
    const income = citizen.fields!.find((f) => f.name.value === "incomeRecord")!;
    const classification = income.directives!.find((d) => d.name.value === "classification");
    expect(classification && print(classification)).toBe("@classification(level: L4)");
  });

  it("describes every type, field, argument and enum value of every agency subgraph", () => {
    const undescribed: string[] = [];
    for (const subgraph of agencySubgraphDefinitions()) {
      visit(parse(subgraph.typeDefs), {
        enter(node, _key, _parent, _path, ancestors) {
          if (!("description" in node) || node.kind === Kind.SCHEMA_DEFINITION || node.kind === Kind.DIRECTIVE_DEFINITION) return;
          const name = "name" in node && node.name ? node.name.value : "?";
          const owner = ancestors.filter((a) => !Array.isArray(a) && "name" in (a as object)).map((a) => (a as { name: { value: string } }).name.value);
          // The classification directive's own arguments are described in schema/classification.graphql.
          if (owner.includes("classification")) return;
          if (!node.description?.value.trim()) undescribed.push(`${subgraph.name}: ${[...owner, name].join(".")}`);
        },
      });
    }
    expect(undescribed).toEqual([]);
  });
});
