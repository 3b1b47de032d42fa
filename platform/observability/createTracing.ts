/**
 * OpenTelemetry tracing for one service: spans exported over OTLP/HTTP (JSON)
 * to `OTEL_EXPORTER_OTLP_ENDPOINT` when it is set, and nothing at all
 * otherwise: without an endpoint the tracer is the API's no-op one, so the
 * request path pays for a few no-op calls and no span is ever built.
 * W3C `traceparent` carries the trace from the gateway to the agencies.
 *
 * Each service has its own provider (its own `service.name`), so several
 * services in one process (tests) keep their spans apart; the gateway's is
 * also made global, which is where @apollo/gateway's own spans
 * (`gateway.plan`, `gateway.fetch`, ...) look for it.
 */
import { context, propagation, ProxyTracerProvider, ROOT_CONTEXT, trace, type Context, type Tracer } from "@opentelemetry/api";
import { AsyncLocalStorageContextManager } from "@opentelemetry/context-async-hooks";
import { W3CTraceContextPropagator } from "@opentelemetry/core";
import { OTLPTraceExporter } from "@opentelemetry/exporter-trace-otlp-http";
import { resourceFromAttributes } from "@opentelemetry/resources";
import { BatchSpanProcessor, BasicTracerProvider } from "@opentelemetry/sdk-trace-base";
import type { IncomingHttpHeaders } from "node:http";

export interface Tracing {
  /** Whether spans are recorded and exported at all. */
  enabled: boolean;
  tracer: Tracer;
  /** The context an incoming request continues (its `traceparent`), or the root. */
  extract(headers: IncomingHttpHeaders): Context;
  /** Writes `traceparent` (and `tracestate`) for the active span into `headers`. */
  inject(headers: { set(name: string, value: string): void }): void;
  /** Exports what is buffered and stops. */
  shutdown(): Promise<void>;
}

const propagator = new W3CTraceContextPropagator();
const headerGetter = {
  keys: (carrier: IncomingHttpHeaders) => Object.keys(carrier),
  get: (carrier: IncomingHttpHeaders, key: string) => carrier[key],
};
let contextManagerInstalled = false;

/** Tracing that records nothing (no endpoint configured). */
export function disabledTracing(): Tracing {
  return {
    enabled: false,
    // A provider with no delegate: its spans are the API's non-recording ones, whatever is global.
    tracer: new ProxyTracerProvider().getTracer("disabled"),
    extract: () => ROOT_CONTEXT,
    inject: () => {},
    shutdown: async () => {},
  };
}

export function createTracing(options: { service: string; otlpEndpoint: string | undefined; global?: boolean }): Tracing {
  if (!options.otlpEndpoint) return disabledTracing();
  if (!contextManagerInstalled) {
    // Spans follow async work (resolvers, DataLoader batches, SQL) through AsyncLocalStorage.
    context.setGlobalContextManager(new AsyncLocalStorageContextManager().enable());
    propagation.setGlobalPropagator(propagator);
    contextManagerInstalled = true;
  }
  const exporter = new OTLPTraceExporter({ url: new URL("v1/traces", options.otlpEndpoint.replace(/\/?$/, "/")).toString() });
  const provider = new BasicTracerProvider({
    resource: resourceFromAttributes({ "service.name": options.service }),
    spanProcessors: [new BatchSpanProcessor(exporter, { scheduledDelayMillis: 500 })],
  });
  if (options.global) trace.setGlobalTracerProvider(provider);
  return {
    enabled: true,
    tracer: provider.getTracer(options.service),
    extract: (headers) => propagator.extract(ROOT_CONTEXT, headers, headerGetter),
    inject: (headers) => propagator.inject(context.active(), headers, { set: (carrier, key, value) => carrier.set(key, value) }),
    shutdown: () => provider.shutdown(),
  };
}
