/**
 * The data catalog (数据目录), read from the supergraph: every field the
 * agencies serve with its owning agency, level (L1–L4), sharing class,
 * scope, type and description, and every scope with the agency that grants
 * it and the class that decides how. It describes data and holds none.
 *
 * Owner: the subgraph of the field's `@join__field`; for an entity's key
 * field, which every subgraph declares, the subgraph that defines most of
 * the type's fields (civil affairs for `Citizen`, the registry for `Property`).
 * Scope: the field's own `@requiresScopes`, else the scope of the field of
 * the same agency that leads to its type (the scope that opens the way to
 * it); none when a root field leads to the type without one (`Citizen.id`).
 */
import { Kind, parse, print, type ConstDirectiveNode, type DocumentNode, type FieldDefinitionNode, type ObjectTypeDefinitionNode } from "graphql";

export type DataLevel = "L1" | "L2" | "L3" | "L4";
export type SharingClass = "UNCONDITIONAL" | "CONDITIONAL" | "NOT_SHARED";

export interface CatalogArgument {
  name: string;
  type: string;
  description: string | null;
}

export interface CatalogField {
  /** `Type.field`, e.g. `HousingFundAccount.balance`. */
  coordinate: string;
  /** The owning agency's subgraph name, e.g. `housing-fund`. */
  agency: string;
  level: DataLevel;
  sharing: SharingClass;
  /** The scope that reads it; null when any authenticated caller may. */
  scope: string | null;
  /** Whether `scope` is the field's own `@requiresScopes` (false: inherited from the field leading to it). */
  ownScope: boolean;
  /** The GraphQL type, e.g. `Money!`. */
  type: string;
  description: string | null;
  arguments: CatalogArgument[];
}

export interface CatalogScope {
  scope: string;
  agency: string;
  /** The strictest class of the fields that declare it: NOT_SHARED if all are, else CONDITIONAL if any is. */
  sharing: SharingClass;
  /** The highest level among those fields. */
  level: DataLevel;
  /** Coordinates of the fields that declare it. */
  fields: string[];
}

export interface Catalog {
  fields: CatalogField[];
  scopes: CatalogScope[];
  agencies: string[];
}

/** The default class of a level (the data standard): L1 and L2 unconditional, L3 and L4 conditional. */
export function defaultSharingOf(level: DataLevel): SharingClass {
  return level === "L1" || level === "L2" ? "UNCONDITIONAL" : "CONDITIONAL";
}

function argumentOf(directive: ConstDirectiveNode, name: string) {
  return directive.arguments?.find((a) => a.name.value === name)?.value;
}

function enumArgument(directive: ConstDirectiveNode, name: string): string | undefined {
  const value = argumentOf(directive, name);
  return value?.kind === Kind.ENUM ? value.value : undefined;
}

function firstScope(field: FieldDefinitionNode): string | null {
  const directive = field.directives?.find((d) => d.name.value === "requiresScopes");
  const value = directive && argumentOf(directive, "scopes");
  if (value?.kind !== Kind.LIST) return null;
  const group = value.values[0];
  const scope = group?.kind === Kind.LIST ? group.values[0] : undefined;
  return scope?.kind === Kind.STRING ? scope.value : null;
}

/** @returns the catalog of a supergraph SDL (or its parsed document) */
export function readCatalog(supergraph: string | DocumentNode): Catalog {
  const document = typeof supergraph === "string" ? parse(supergraph) : supergraph;
  const graphNames = new Map<string, string>();
  for (const definition of document.definitions) {
    if (definition.kind !== Kind.ENUM_TYPE_DEFINITION || definition.name.value !== "join__Graph") continue;
    for (const value of definition.values ?? []) {
      const directive = value.directives?.find((d) => d.name.value === "join__graph");
      const name = directive && argumentOf(directive, "name");
      if (name?.kind === Kind.STRING) graphNames.set(value.name.value, name.value);
    }
  }
  const objects = document.definitions.filter(
    (d): d is ObjectTypeDefinitionNode => d.kind === Kind.OBJECT_TYPE_DEFINITION && !d.name.value.startsWith("join__") && !d.name.value.startsWith("link__"),
  );

  function graphsOf(directives: readonly ConstDirectiveNode[] | undefined, directiveName: string): string[] {
    return (directives ?? [])
      .filter((d) => d.name.value === directiveName)
      .flatMap((d) => {
        const graph = enumArgument(d, "graph");
        return graph && graphNames.has(graph) ? [graphNames.get(graph)!] : [];
      });
  }

  function ownerOf(type: ObjectTypeDefinitionNode, field: FieldDefinitionNode): string | undefined {
    const own = graphsOf(field.directives, "join__field");
    if (own.length === 1) return own[0];
    // A key field every subgraph declares: the subgraph that defines most of the type.
    const counts = new Map<string, number>();
    for (const f of type.fields ?? []) for (const graph of graphsOf(f.directives, "join__field")) counts.set(graph, (counts.get(graph) ?? 0) + 1);
    const candidates = own.length > 0 ? own : graphsOf(type.directives, "join__type");
    return candidates.sort((a, b) => (counts.get(b) ?? 0) - (counts.get(a) ?? 0))[0];
  }

  const fields: CatalogField[] = [];
  const byCoordinate = new Map<string, { field: FieldDefinitionNode; type: ObjectTypeDefinitionNode; entry: CatalogField }>();
  for (const type of objects) {
    for (const field of type.fields ?? []) {
      const classification = field.directives?.find((d) => d.name.value === "classification");
      if (!classification) continue; // not agency data (the gateway's own subgraphs)
      const level = (enumArgument(classification, "level") ?? "L4") as DataLevel;
      const sharing = (enumArgument(classification, "sharing") as SharingClass | undefined) ?? defaultSharingOf(level);
      const scope = firstScope(field);
      const entry: CatalogField = {
        coordinate: `${type.name.value}.${field.name.value}`,
        agency: ownerOf(type, field) ?? "unknown",
        level,
        sharing,
        scope,
        ownScope: scope !== null,
        type: print(field.type),
        description: field.description?.value ?? null,
        arguments: (field.arguments ?? []).map((a) => ({ name: a.name.value, type: print(a.type), description: a.description?.value ?? null })),
      };
      fields.push(entry);
      byCoordinate.set(entry.coordinate, { field, type, entry });
    }
  }

  // Inherit the scope that opens the way to a type, from a field of the same agency that returns it.
  const returning = new Map<string, CatalogField[]>();
  for (const { field, entry } of byCoordinate.values()) {
    const named = print(field.type).replace(/[[\]!]/g, "");
    returning.set(named, [...(returning.get(named) ?? []), entry]);
  }
  // null: some way to the type needs no scope (a root field); undefined: a cycle, decided elsewhere.
  function inheritedScope(entry: CatalogField, seen: Set<string>): string | null | undefined {
    if (entry.ownScope) return entry.scope;
    if (seen.has(entry.coordinate)) return undefined;
    seen.add(entry.coordinate);
    const parents = returning.get(entry.coordinate.split(".")[0]!) ?? [];
    if (parents.length === 0) return null;
    const found = parents.map((parent) => ({ parent, scope: inheritedScope(parent, new Set(seen)) }));
    if (found.some((f) => f.scope === null)) return null;
    const scoped = found.filter((f): f is { parent: CatalogField; scope: string } => typeof f.scope === "string");
    return (scoped.find((f) => f.parent.agency === entry.agency) ?? scoped[0])?.scope;
  }
  for (const entry of fields) if (!entry.ownScope) entry.scope = inheritedScope(entry, new Set()) ?? null;

  const scopes = new Map<string, CatalogScope>();
  for (const entry of fields) {
    if (!entry.ownScope || !entry.scope) continue;
    const known = scopes.get(entry.scope);
    if (known) {
      known.fields.push(entry.coordinate);
      if (entry.level > known.level) known.level = entry.level;
    } else {
      scopes.set(entry.scope, { scope: entry.scope, agency: entry.agency, sharing: entry.sharing, level: entry.level, fields: [entry.coordinate] });
    }
  }
  for (const scope of scopes.values()) {
    const classes = new Set(fields.filter((f) => f.ownScope && f.scope === scope.scope).map((f) => f.sharing));
    scope.sharing = classes.size === 1 && classes.has("NOT_SHARED") ? "NOT_SHARED" : classes.has("CONDITIONAL") ? "CONDITIONAL" : "UNCONDITIONAL";
  }
  return {
    fields,
    scopes: [...scopes.values()].sort((a, b) => a.scope.localeCompare(b.scope)),
    agencies: [...new Set(fields.map((f) => f.agency))].sort(),
  };
}
