/**
 * The guard's parse and measure of an operation text, done once per
 * (text, operation name) and kept: apps send the same few operations with
 * different variables, and parsing and measuring them again on every
 * request was the guard's whole cost. The answer depends on the text, the
 * name and the token limit only (the caller's introspection exemption is
 * applied to the kept measure per request). Texts longer than
 * `maxTextLength` are measured every time and not kept, so the cache stays
 * small whatever is sent.
 */
import { parse, type DocumentNode } from "graphql";
import { measureOperation, type OperationMeasure } from "./measureOperation.ts";

/** What the guard learns from a text: too many tokens, a syntax error (Apollo's to report), or its measure (null: no such operation). */
export type OperationMeasurement = { kind: "too-many-tokens" } | { kind: "syntax-error" } | { kind: "measured"; measure: OperationMeasure | null };

export interface OperationMeasurerOptions {
  maxTokens: number;
  /** Texts kept. @default 500 */
  maxEntries?: number;
  /** Longest text kept. @default 16_384 */
  maxTextLength?: number;
}

export type OperationMeasurer = (query: string, operationName: string | null | undefined) => OperationMeasurement;

export function createOperationMeasurer(options: OperationMeasurerOptions): OperationMeasurer {
  const maxEntries = options.maxEntries ?? 500;
  const maxTextLength = options.maxTextLength ?? 16_384;
  const kept = new Map<string, Map<string, OperationMeasurement>>();

  const measure = (query: string, operationName: string | null | undefined): OperationMeasurement => {
    let document: DocumentNode;
    try {
      document = parse(query, { maxTokens: options.maxTokens });
    } catch (error) {
      // graphql-js: "Document contains more that N tokens. Parsing aborted."
      if (error instanceof Error && /tokens\. Parsing aborted|token limit/i.test(error.message)) return { kind: "too-many-tokens" };
      return { kind: "syntax-error" };
    }
    // Thrown (never kept) if the measure itself fails: the guard refuses the request.
    return { kind: "measured", measure: measureOperation(document, operationName) };
  };

  return (query, operationName) => {
    if (query.length > maxTextLength) return measure(query, operationName);
    const name = operationName ?? "";
    let byName = kept.get(query);
    const found = byName?.get(name);
    if (found) return found;
    const measurement = measure(query, operationName);
    if (!byName) {
      if (kept.size >= maxEntries) kept.delete(kept.keys().next().value!);
      byName = new Map();
      kept.set(query, byName);
    }
    // A text sent under many names keeps a few of them only.
    if (byName.size >= 16) byName.clear();
    byName.set(name, measurement);
    return measurement;
  };
}
