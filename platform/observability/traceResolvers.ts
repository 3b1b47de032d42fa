/**
 * Wraps every field an agency resolves with its own code (its resolvers,
 * `_entities` and the `__resolveReference` behind it) in a span that is the
 * active context while it runs, so what it starts (DataLoader batches, SQL)
 * nests under it. Fields read straight off a parent object get none. Applied
 * only when tracing is on.
 */
import { context, SpanStatusCode, trace, type Span } from "@opentelemetry/api";
import { isObjectType, type GraphQLFieldResolver, type GraphQLSchema } from "graphql";
import type { Tracing } from "./createTracing.ts";

export function traceResolvers(schema: GraphQLSchema, tracing: Tracing): void {
  if (!tracing.enabled) return;
  for (const type of Object.values(schema.getTypeMap())) {
    if (!isObjectType(type) || type.name.startsWith("__")) continue;
    for (const field of Object.values(type.getFields())) {
      const resolve = field.resolve;
      if (!resolve) continue;
      const name = `resolve ${type.name}.${field.name}`;
      const traced: GraphQLFieldResolver<unknown, unknown> = (source, args, contextValue, info) => {
        const span = tracing.tracer.startSpan(name);
        return context.with(trace.setSpan(context.active(), span), () => {
          try {
            const result = resolve(source, args, contextValue, info);
            if (result instanceof Promise) return result.then((value) => end(span, value), (error: unknown) => fail(span, error));
            return end(span, result);
          } catch (error) {
            return fail(span, error);
          }
        });
      };
      field.resolve = traced;
    }
  }
}

function end<T>(span: Span, value: T): T {
  span.end();
  return value;
}

function fail(span: Span, error: unknown): never {
  span.setStatus({ code: SpanStatusCode.ERROR });
  span.end();
  throw error;
}
