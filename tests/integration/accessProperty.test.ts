/**
 * Property: for random operations over the supergraph (random fields from all
 * five agencies, aliases, inline and named fragments, nested relations,
 * arguments, `citizen(id:)` / `citizens(ids:)` roots), random scope sets and
 * random citizen bindings, the gateway's answer is the unrestricted answer
 * (same operation, every scope, no binding) with exactly the denied places
 * nulled, each with one FORBIDDEN error at its path, and nothing else.
 */
import { readFileSync } from "node:fs";
import fc from "fast-check";
import { parse } from "graphql";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { DEFAULT_TOKEN_AUDIENCE, DEV_TOKEN_ISSUER, readGatewayConfig } from "../../gateway/config.ts";
import { readAccessRequirements } from "../../platform/security/accessRequirements.ts";
import { signDevToken } from "../../platform/security/signDevToken.ts";
import { scopesOf } from "../../schema/scopesOf.ts";
import { DEFAULT_OPERATION_LIMITS } from "../../gateway/guard/operationLimits.ts";

/** Random operations grow wide and deep; shape limits have their own suite (hostileInput). */
const GENEROUS_LIMITS = { ...DEFAULT_OPERATION_LIMITS, maxAliases: 10_000, maxFields: 100_000, maxDepth: 60, maxRootFields: 100, maxDirectives: 1000, maxTokens: 100_000, maxCost: 10_000_000 };
import { postGraphQL, type GraphQLResult } from "../support/graphql.ts";
import { startSystem, type System } from "../support/startSystem.ts";

const DEMO_IDS = ["140105198605150031", "140105198803120028", "330106197501050017", "14010519650909005X"];
const SUPERGRAPH = readFileSync(readGatewayConfig({}).supergraphPath, "utf8");
/** The data standard's scopes: the audit log's own (audit:read, self:access-log) are tested in auditLog.test.ts. */
const AUDIT_SCOPES = new Set(["audit:read", "self:access-log"]);
const ALL_SCOPES = scopesOf(SUPERGRAPH).filter((scope) => !AUDIT_SCOPES.has(scope));

// ---------------------------------------------------------------------------
// The model of the supergraph the generator walks. `scope` is the scope the
// standard requires for the field (field coordinate → scope); fields without
// one need only a valid token (@authenticated). The table is checked against
// the supergraph's @requiresScopes below.
//
//   Citizen.name / gender / birthDate             civil-affairs:identity
//   Citizen.maritalStatus / marriageRecords / spouse   civil-affairs:marriage
//   Citizen.creditReport                          credit:report
//   Citizen.isDishonestDebtor                     credit:verify
//   Citizen.housingFundAccount                    housing-fund:account
//   Citizen.housingFundContributedMonths          housing-fund:verify
//   HousingFundAccount.balance / contributions    housing-fund:balance
//   HousingFundAccount.loans                      housing-fund:loan
//   Citizen.properties                            real-estate:property
//   Citizen.ownsResidentialPropertyIn             real-estate:verify
//   Property.mortgages                            real-estate:mortgage
//   Citizen.incomeRecord                          tax:income
//   Citizen.incomeAtLeast                         tax:verify
//   Property.deedTaxPaid                          tax:property
// ---------------------------------------------------------------------------

type TypeName = "Citizen" | "MarriageRecord" | "CreditReport" | "HousingFundAccount" | "Employer" | "Contribution" | "HousingFundLoan" | "Property" | "Ownership" | "Mortgage" | "IncomeRecord";

interface FieldSpec {
  name: string;
  scope?: string;
  /** The object type it returns; absent for leaves. */
  type?: TypeName;
  list?: boolean;
  /** Argument text, e.g. `(year: 2025)`. */
  args?: fc.Arbitrary<string>;
}

const leaf = (name: string, scope?: string, args?: fc.Arbitrary<string>): FieldSpec => ({ name, scope, args });
const object = (name: string, type: TypeName, options: { scope?: string; list?: boolean; args?: fc.Arbitrary<string> } = {}): FieldSpec => ({ name, type, ...options });

const MODEL: Record<TypeName, FieldSpec[]> = {
  // `id` is not here: every Citizen selection gets it, so the oracle knows whose data it is.
  Citizen: [
    leaf("name", "civil-affairs:identity"),
    leaf("gender", "civil-affairs:identity"),
    leaf("birthDate", "civil-affairs:identity"),
    leaf("maritalStatus", "civil-affairs:marriage"),
    leaf("isDishonestDebtor", "credit:verify"),
    leaf("housingFundContributedMonths", "housing-fund:verify", fc.integer({ min: 0, max: 200 }).map((n) => `(atLeast: ${n})`)),
    leaf("ownsResidentialPropertyIn", "real-estate:verify", fc.constantFrom("太原市", "杭州市", "北京市").map((c) => `(city: "${c}")`)),
    leaf("incomeAtLeast", "tax:verify", fc.constantFrom("100000.00", "200000.00", "0.00").map((a) => `(year: 2025, amount: "${a}")`)),
    object("spouse", "Citizen", { scope: "civil-affairs:marriage" }),
    object("marriageRecords", "MarriageRecord", { scope: "civil-affairs:marriage", list: true }),
    object("creditReport", "CreditReport", { scope: "credit:report" }),
    object("housingFundAccount", "HousingFundAccount", { scope: "housing-fund:account" }),
    object("properties", "Property", { scope: "real-estate:property", list: true }),
    object("incomeRecord", "IncomeRecord", { scope: "tax:income", args: fc.constantFrom(2024, 2025).map((y) => `(year: ${y})`) }),
  ],
  MarriageRecord: [leaf("kind"), leaf("registeredOn"), leaf("registryOffice"), object("partner", "Citizen")],
  CreditReport: [leaf("score"), leaf("rating"), leaf("dishonestDebtor"), leaf("overdueAccounts"), leaf("updatedOn")],
  HousingFundAccount: [
    leaf("accountNumber"),
    leaf("status"),
    leaf("openedOn"),
    leaf("monthlyDeposit"),
    leaf("balance", "housing-fund:balance"),
    object("employer", "Employer"),
    object("contributions", "Contribution", { scope: "housing-fund:balance", list: true, args: fc.integer({ min: 1, max: 24 }).map((n) => `(last: ${n})`) }),
    object("loans", "HousingFundLoan", { scope: "housing-fund:loan", list: true }),
  ],
  Employer: [leaf("name"), leaf("creditCode")],
  Contribution: [leaf("month"), leaf("amount")],
  HousingFundLoan: [leaf("loanNumber"), leaf("principal"), leaf("outstanding"), leaf("status"), object("collateral", "Property")],
  Property: [
    leaf("certificateNumber"),
    leaf("city"),
    leaf("district"),
    leaf("address"),
    leaf("usage"),
    leaf("floorArea"),
    leaf("registeredOn"),
    leaf("seized"),
    leaf("deedTaxPaid", "tax:property"),
    object("owners", "Ownership", { list: true }),
    object("mortgages", "Mortgage", { scope: "real-estate:mortgage", list: true }),
  ],
  Ownership: [leaf("share"), object("owner", "Citizen")],
  Mortgage: [leaf("mortgagee"), leaf("amount"), leaf("registeredOn"), leaf("releasedOn")],
  IncomeRecord: [leaf("year"), leaf("totalIncome"), leaf("taxPaid")],
};

// ---------------------------------------------------------------------------
// Generated operations.
// ---------------------------------------------------------------------------

/** One field in the operation, under its response key. */
interface Selection {
  key: string;
  alias: boolean;
  spec: FieldSpec;
  argText: string;
  children?: Group[];
}

/** Fields written together: plainly, in an inline fragment, or in a named fragment (spread once or twice). */
interface Group {
  wrap: "none" | "inline" | "named";
  twice: boolean;
  selections: Selection[];
}

interface Root {
  kind: "citizen" | "citizens";
  ids: string[];
  key: string;
  alias: boolean;
  children: Group[];
}

interface Operation {
  roots: Root[];
}

const MAX_DEPTH = 5;

/** Field choices for one selection set of `type`: fields, aliases, arguments, grouping; children drawn recursively. */
function selectionSetArb(type: TypeName, depth: number): fc.Arbitrary<Group[]> {
  const fields = MODEL[type];
  // Verification fields (scope `*:verify`) are evaluated once per citizen and request, and not under
  // relations (issue 9): their answers depend on what else the operation asks, which this oracle
  // does not model; tests/security/verificationLimits.test.ts covers them.
  const leaves = fields.filter((f) => !f.type && !f.scope?.endsWith(":verify"));
  const objects = depth > 0 ? fields.filter((f) => f.type) : [];
  return fc
    .tuple(fc.subarray(leaves, { minLength: type === "Citizen" ? 0 : 1 }), fc.subarray(objects, { maxLength: Math.min(objects.length, depth >= 3 ? 3 : 2) }))
    .chain(([chosenLeaves, chosenObjects]) => {
      const chosen = [...chosenLeaves, ...chosenObjects];
      return fc.tuple(
        ...chosen.map((spec) =>
          fc.record({
            alias: fc.boolean(),
            argText: spec.args ?? fc.constant(""),
            children: spec.type ? selectionSetArb(spec.type, depth - 1).map((g) => g as Group[] | undefined) : fc.constant(undefined),
            wrap: fc.constantFrom<Group["wrap"]>("none", "none", "inline", "named"),
            group: fc.integer({ min: 0, max: 1 }),
            twice: fc.boolean(),
          }),
        ),
      ).map((drawn) => {
        const groups = new Map<string, Group>();
        drawn.forEach((d, i) => {
          const spec = chosen[i]!;
          const id = `${d.wrap}${d.group}`;
          if (!groups.has(id)) groups.set(id, { wrap: d.wrap, twice: d.twice, selections: [] });
          groups.get(id)!.selections.push({ key: spec.name, alias: d.alias, spec, argText: d.argText, children: d.children });
        });
        const result = [...groups.values()];
        if (type === "Citizen") result.unshift({ wrap: "none", twice: false, selections: [{ key: "id", alias: false, spec: leaf("id"), argText: "" }] });
        if (result.length === 0) result.push({ wrap: "none", twice: false, selections: [{ key: "__typename", alias: false, spec: leaf("__typename"), argText: "" }] });
        return result;
      });
    });
}

const rootArb: fc.Arbitrary<Root> = fc.record({
  kind: fc.constantFrom<Root["kind"]>("citizen", "citizens"),
  ids: fc.subarray(DEMO_IDS, { minLength: 1 }),
  key: fc.constant(""),
  alias: fc.boolean(),
  children: selectionSetArb("Citizen", MAX_DEPTH),
});

const operationArb: fc.Arbitrary<Operation> = fc.array(rootArb, { minLength: 1, maxLength: 2 }).map((roots) => ({ roots }));

/** Gives every aliased field a unique response key (and the second root its own key). */
function assignKeys(operation: Operation): Operation {
  let counter = 0;
  const visit = (groups: Group[]) => {
    for (const group of groups) {
      for (const selection of group.selections) {
        if (selection.alias) selection.key = `a${++counter}_${selection.spec.name}`;
        if (selection.children) visit(selection.children);
      }
    }
  };
  operation.roots.forEach((root, i) => {
    root.key = root.alias || i > 0 ? `r${i}_${root.kind}` : root.kind;
    visit(root.children);
  });
  return operation;
}

function printOperation(operation: Operation): string {
  const fragments: string[] = [];
  const printSet = (groups: Group[], type: TypeName): string => {
    const parts: string[] = [];
    for (const group of groups) {
      const body = group.selections.map(printSelection).join(" ");
      if (group.wrap === "none") parts.push(body);
      else if (group.wrap === "inline") parts.push(`... on ${type} { ${body} }`);
      else {
        const name = `F${fragments.length + 1}`;
        fragments.push(`fragment ${name} on ${type} { ${body} }`);
        parts.push(group.twice ? `...${name} ...${name}` : `...${name}`);
      }
    }
    return `{ ${parts.join(" ")} }`;
  };
  const printSelection = (s: Selection): string =>
    `${s.alias ? `${s.key}: ` : ""}${s.spec.name}${s.argText}${s.children ? ` ${printSet(s.children, s.spec.type!)}` : ""}`;
  const roots = operation.roots.map((root) => {
    const field = root.kind === "citizen" ? `citizen(id: "${root.ids[0]}")` : `citizens(ids: [${root.ids.map((id) => `"${id}"`).join(", ")}])`;
    const aliased = root.key !== root.kind ? `${root.key}: ` : "";
    return `${aliased}${field} ${printSet(root.children, "Citizen")}`;
  });
  return [`query Generated { ${roots.join(" ")} }`, ...fragments].join("\n");
}

function flatten(groups: Group[]): Selection[] {
  const byKey = new Map<string, Selection>();
  for (const group of groups) for (const selection of group.selections) byKey.set(selection.key, selection);
  return [...byKey.values()];
}

// ---------------------------------------------------------------------------
// The oracle.
// ---------------------------------------------------------------------------

interface Subject {
  scopes: ReadonlySet<string>;
  /** null: not bound. */
  citizens: ReadonlySet<string> | null;
}

type Path = Array<string | number>;

/**
 * Walks the restricted response beside the unrestricted one and the
 * operation; returns the problems found and fills `forbidden` with the paths
 * that must carry a FORBIDDEN error.
 */
function compare(restricted: any, unrestricted: any, operation: Operation, subject: Subject, forbidden: Set<string>): string[] {
  const problems: string[] = [];
  const fail = (path: Path, what: string) => problems.push(`${JSON.stringify(path)}: ${what}`);

  const checkObject = (r: any, u: any, selections: Selection[], path: Path) => {
    if (r === null || typeof r !== "object" || Array.isArray(r)) return fail(path, `expected an object, got ${JSON.stringify(r)}`);
    const keys = new Set(selections.map((s) => s.key));
    for (const key of Object.keys(r)) if (!keys.has(key)) fail([...path, key], "key not asked for");
    for (const selection of selections) {
      const fieldPath = [...path, selection.key];
      const value = r[selection.key];
      if (selection.spec.scope && !subject.scopes.has(selection.spec.scope)) {
        // (i) missing scope: null (or absent), FORBIDDEN at its path.
        if (value !== null && value !== undefined) fail(fieldPath, `denied field has a value ${JSON.stringify(value)}`);
        forbidden.add(JSON.stringify(fieldPath));
        continue;
      }
      if (!(selection.key in r)) {
        fail(fieldPath, "authorized field missing");
        continue;
      }
      checkValue(value, u[selection.key], selection.spec, selection.children, fieldPath);
    }
  };

  const checkValue = (r: any, u: any, spec: FieldSpec, children: Group[] | undefined, path: Path) => {
    if (spec.list && Array.isArray(u)) {
      if (!Array.isArray(r) || r.length !== u.length) return fail(path, `expected a list of ${u.length}, got ${JSON.stringify(r)}`);
      u.forEach((item, i) => checkItem(r[i], item, spec, children, [...path, i]));
      return;
    }
    checkItem(r, u, spec, children, path);
  };

  const checkItem = (r: any, u: any, spec: FieldSpec, children: Group[] | undefined, path: Path) => {
    if (u === null || u === undefined) {
      if (r !== null && r !== undefined) fail(path, `expected null, got ${JSON.stringify(r)}`);
      return;
    }
    if (spec.type === "Citizen" && subject.citizens && !subject.citizens.has(u.id)) {
      // (ii) a citizen outside the binding: nothing of them, FORBIDDEN where the path leads to them.
      if (r !== null) fail(path, `unbound citizen ${u.id} has a value ${JSON.stringify(r)}`);
      forbidden.add(JSON.stringify(path));
      return;
    }
    // (iii) authorized: the same value as unrestricted.
    if (!children) {
      if (JSON.stringify(r) !== JSON.stringify(u)) fail(path, `expected ${JSON.stringify(u)}, got ${JSON.stringify(r)}`);
      return;
    }
    checkObject(r, u, flatten(children), path);
  };

  if (restricted === null || typeof restricted !== "object") return [`data is ${JSON.stringify(restricted)}`];
  for (const key of Object.keys(restricted)) if (!operation.roots.some((root) => root.key === key)) fail([key], "root key not asked for");
  for (const root of operation.roots) {
    const spec: FieldSpec = { name: root.kind, type: "Citizen", list: root.kind === "citizens" };
    if (root.kind === "citizen" && subject.citizens && !subject.citizens.has(root.ids[0]!)) {
      // The root argument is refused before any read.
      if (restricted[root.key] !== null) fail([root.key], "unbound root citizen has a value");
      forbidden.add(JSON.stringify([root.key]));
      continue;
    }
    checkValue(restricted[root.key], unrestricted[root.key], spec, root.children, [root.key]);
  }
  return problems;
}

// ---------------------------------------------------------------------------

describe("random operations, scopes and bindings", () => {
  let system: System;

  beforeAll(async () => {
    system = await startSystem({ suite: "access-property", gateway: { limits: GENEROUS_LIMITS } });
  });

  afterAll(async () => {
    await system?.stop();
  });

  it("the scope table matches the supergraph's @requiresScopes", () => {
    const { fields } = readAccessRequirements(parse(SUPERGRAPH));
    const declared = new Map<string, string[]>();
    for (const [coordinate, requirement] of fields) {
      const scopes = requirement.scopes.flat(2);
      if (scopes.length > 0 && !scopes.some((scope) => AUDIT_SCOPES.has(scope))) declared.set(coordinate, scopes);
    }
    const modelled = new Map<string, string[]>();
    for (const [type, specs] of Object.entries(MODEL)) for (const spec of specs) if (spec.scope) modelled.set(`${type}.${spec.name}`, [spec.scope]);
    expect(Object.fromEntries(modelled)).toEqual(Object.fromEntries(declared));
    expect(ALL_SCOPES).toHaveLength(14);
  });

  it("a restricted answer is the unrestricted answer with exactly the denied places nulled and FORBIDDEN", async () => {
    const subjectArb = fc.record({
      scopes: fc.subarray(ALL_SCOPES),
      citizens: fc.option(fc.subarray(DEMO_IDS), { nil: null, freq: 2 }),
    });
    await fc.assert(
      fc.asyncProperty(operationArb, subjectArb, async (generated, subjectDraw) => {
        const operation = assignKeys(generated);
        const query = printOperation(operation);
        const token = await signDevToken({
          key: system.issuerKey,
          issuer: DEV_TOKEN_ISSUER,
          audience: DEFAULT_TOKEN_AUDIENCE,
          subject: "app:access-property",
          scopes: subjectDraw.scopes,
          purpose: "PROPERTY_TEST",
          ...(subjectDraw.citizens ? { citizens: subjectDraw.citizens } : {}),
        });
        const unrestricted = await postGraphQL(system.gatewayUrl, query, undefined, { authorization: `Bearer ${system.allScopesToken}` });
        const restricted: GraphQLResult = await postGraphQL(system.gatewayUrl, query, undefined, { authorization: `Bearer ${token}` });
        const context = `\n${query}\nscopes: ${subjectDraw.scopes.join(" ")}\ncitizens: ${JSON.stringify(subjectDraw.citizens)}\nrestricted: ${JSON.stringify(restricted.body)}`;

        expect(unrestricted.status, `unrestricted${context}\n${JSON.stringify(unrestricted.body)}`).toBe(200);
        expect(unrestricted.body.errors ?? [], `unrestricted errors${context}`).toEqual([]);
        expect(restricted.status, `status${context}`).toBe(200);

        const subject: Subject = { scopes: new Set(subjectDraw.scopes), citizens: subjectDraw.citizens ? new Set(subjectDraw.citizens) : null };
        const forbidden = new Set<string>();
        const problems = compare(restricted.body.data, unrestricted.body.data, operation, subject, forbidden);
        expect(problems, `data${context}`).toEqual([]);

        const errors = restricted.body.errors ?? [];
        expect(errors.filter((e) => e.extensions?.code !== "FORBIDDEN"), `non-FORBIDDEN errors${context}`).toEqual([]);
        const actual = errors.map((e) => JSON.stringify(e.path));
        expect(new Set(actual), `error paths${context}`).toEqual(forbidden);
        // Compared as sets: a field written twice at one place (a named fragment spread twice) currently gets
        // two identical errors there — a known bug pinned by the `it.fails` in accessControl.test.ts.
      }),
      { numRuns: 100, endOnFailure: true },
    );
  });
});
