/**
 * The client's response cut out of the merged subgraph data, compiled once
 * per operation. It does what @apollo/gateway's `computeResponse`
 * (resultShaping.js) does for the operations this gateway runs itself: every
 * selected field in the operation's order, aliases, `__typename`, type
 * conditions, leaf values checked against their types. Whatever is not a
 * plain case (an invalid leaf value, a bad `__typename`, a value of the wrong
 * shape) makes `shape` give up, and the caller shapes that one response with
 * `computeResponse` itself, so the output is always @apollo/gateway's.
 *
 * Operations with `@skip`/`@include`, introspection fields or non-null
 * output types are not compiled (`null`): the gateway's supergraph makes
 * every output nullable, so those are the ones @apollo/gateway keeps.
 */
import {
  isCompositeType,
  isListType,
  isNonNullType,
  isObjectType,
  isSubtype,
  isValidLeafValue,
  type CompositeType,
  type EnumType,
  type ScalarType,
  type Operation,
  type OutputType,
  type Schema,
  type SelectionSet,
} from "@apollo/federation-internals";

type ShapeType =
  | { kind: "list"; of: ShapeType }
  | { kind: "composite"; name: string }
  | { kind: "leaf"; type: ScalarType | EnumType };

type ShapeSelection =
  | { kind: "typename"; responseName: string }
  | { kind: "field"; responseName: string; type: ShapeType; selections: ShapeSelection[] | undefined }
  | { kind: "fragment"; appliesTo: ReadonlySet<string> | undefined; typeCondition: string | undefined; selections: ShapeSelection[] };

/** Thrown inside `shape` when a response needs @apollo/gateway's own shaping. */
const GIVE_UP = Symbol("give up");

export interface ResultShape {
  /**
   * The response data for `input` (the merged subgraph data).
   * @returns undefined when this response is not a plain case (shape it with computeResponse)
   */
  shape(input: Record<string, unknown>): Record<string, unknown> | undefined;
}

const hasOwn = (object: object, key: string) => Object.prototype.hasOwnProperty.call(object, key);

/** @returns null when the operation is not one this shaper handles */
export function compileResultShape(operation: Operation): ResultShape | null {
  const schema: Schema = operation.schema();
  const rootType = schema.schemaDefinition.rootType(operation.rootKind);
  if (!rootType) return null;
  const typeNames = new Set<string>();
  const objectTypeNames = new Set<string>();
  const compositeTypeNames = new Set<string>();
  for (const type of schema.types()) {
    typeNames.add(type.name);
    if (isObjectType(type)) objectTypeNames.add(type.name);
    if (isCompositeType(type)) compositeTypeNames.add(type.name);
  }
  const fragmentTargets = new Map<string, ReadonlySet<string>>();
  /** The type names `typeCondition` applies to (isSubtype, as typeConditionApplies asks). */
  const appliesTo = (typeCondition: CompositeType): ReadonlySet<string> => {
    let names = fragmentTargets.get(typeCondition.name);
    if (!names) {
      const found = new Set<string>();
      for (const type of schema.types()) if (isSubtype(typeCondition, type)) found.add(type.name);
      fragmentTargets.set(typeCondition.name, found);
      names = found;
    }
    return names;
  };

  const compileType = (type: OutputType): ShapeType | null => {
    if (isNonNullType(type)) return null;
    if (isListType(type)) {
      const of = compileType(type.ofType);
      return of ? { kind: "list", of } : null;
    }
    if (isCompositeType(type)) return { kind: "composite", name: type.name };
    return { kind: "leaf", type: type as ScalarType | EnumType };
  };

  const compileSet = (selectionSet: SelectionSet): ShapeSelection[] | null => {
    const compiled: ShapeSelection[] = [];
    for (const selection of selectionSet.selections()) {
      if (selection.element.appliedDirectives.length > 0) return null;
      if (selection.kind === "FieldSelection") {
        const field = selection.element;
        if (field.definition.isSchemaIntrospectionField()) return null;
        if (field.name === "__typename") {
          compiled.push({ kind: "typename", responseName: field.responseName() });
          continue;
        }
        const type = compileType(field.definition.type!);
        if (!type) return null;
        let selections: ShapeSelection[] | undefined;
        if (selection.selectionSet) {
          const nested = compileSet(selection.selectionSet);
          if (!nested) return null;
          selections = nested;
        }
        compiled.push({ kind: "field", responseName: field.responseName(), type, selections });
      } else {
        const typeCondition = selection.element.typeCondition;
        const nested = compileSet(selection.selectionSet);
        if (!nested) return null;
        compiled.push({ kind: "fragment", appliesTo: typeCondition ? appliesTo(typeCondition) : undefined, typeCondition: typeCondition?.name, selections: nested });
      }
    }
    return compiled;
  };

  const root = compileSet(operation.selectionSet);
  if (!root) return null;

  function applySet(input: Record<string, unknown>, selections: ShapeSelection[], output: Record<string, unknown>, parentType: string): void {
    for (const selection of selections) {
      if (selection.kind === "field") {
        const { responseName } = selection;
        const inputValue = hasOwn(input, responseName) ? (input[responseName] ?? null) : null;
        output[responseName] = updateOutputValue(output[responseName], selection.type, inputValue, selection.selections);
      } else if (selection.kind === "typename") {
        const { responseName } = selection;
        if (output[responseName] !== undefined) continue;
        let inputValue = hasOwn(input, responseName) ? (input[responseName] ?? null) : null;
        if (inputValue === null && responseName !== "__typename") inputValue = input.__typename ?? null;
        const type = typeof inputValue === "string" && typeNames.has(inputValue) ? inputValue : parentType;
        if (!objectTypeNames.has(type)) throw GIVE_UP;
        output[responseName] = type;
      } else {
        const typename = input.__typename;
        if (typename && typeof typename !== "string") throw GIVE_UP;
        const applies = !selection.appliesTo || (typename ? selection.appliesTo.has(typename as string) : selection.appliesTo.has(parentType));
        if (applies) applySet(input, selection.selections, output, selection.typeCondition ?? parentType);
      }
    }
  }

  function updateOutputValue(outputValue: unknown, type: ShapeType, inputValue: unknown, selections: ShapeSelection[] | undefined): unknown {
    if (outputValue === null || (outputValue !== undefined && !selections)) return outputValue;
    if (inputValue === null) return null;
    if (type.kind === "list") {
      if (!Array.isArray(inputValue)) throw GIVE_UP;
      if (outputValue !== undefined && (!Array.isArray(outputValue) || outputValue.length !== inputValue.length)) throw GIVE_UP;
      const updated = new Array(inputValue.length);
      for (let index = 0; index < inputValue.length; index++) {
        updated[index] = updateOutputValue(outputValue === undefined ? undefined : (outputValue as unknown[])[index], type.of, inputValue[index], selections);
      }
      return updated;
    }
    if (type.kind === "composite") {
      if (!selections || typeof inputValue !== "object" || Array.isArray(inputValue)) throw GIVE_UP;
      if (outputValue !== undefined && typeof outputValue !== "object") throw GIVE_UP;
      const typename = (inputValue as Record<string, unknown>).__typename;
      if (typename !== undefined && typeof typename !== "string") throw GIVE_UP;
      if (typename && !compositeTypeNames.has(typename)) throw GIVE_UP;
      const output = (outputValue as Record<string, unknown> | undefined) ?? Object.create(null);
      applySet(inputValue as Record<string, unknown>, selections, output, typename || type.name);
      return output;
    }
    if (outputValue !== undefined) throw GIVE_UP;
    if (!isValidLeafValue(schema, inputValue, type.type)) throw GIVE_UP;
    return inputValue;
  }

  return {
    shape(input) {
      const data = Object.create(null) as Record<string, unknown>;
      try {
        applySet(input, root, data, rootType.name);
      } catch (error) {
        if (error === GIVE_UP) return undefined;
        throw error;
      }
      return data;
    },
  };
}
