/**
 * OpenTelemetry tracing for one service: spans exported over OTLP/HTTP (JSON)
 * to `OTEL_EXPORTER_OTLP_ENDPOINT` when it is set, and nothing at all
 * otherwise: without an endpoint the tracer is the API's no-op one, so the
 * request path pays for a few no-op calls and no span is ever built.
 * W3C `traceparent` carries the trace from the gateway to the agencies.
 *
 * Each service has its own provider (its own `service.name`), so several
 * services in one process (tests) keep their spans apart; the gateway's also
 * receives @apollo/gateway's own spans (`gateway.plan`, `gateway.fetch`, ...),
 * through apolloGatewayTracing.ts, which skips them when not recording.
 * OTEL_TRACES_SAMPLER picks which requests are recorded; a sampled-out one
 * builds no span beyond its non-recording server span.
 */
import { context, propagation, ProxyTracerProvider, ROOT_CONTEXT, trace, type Context, type Tracer } from "@opentelemetry/api";
import { AsyncLocalStorageContextManager } from "@opentelemetry/context-async-hooks";
import { W3CTraceContextPropagator } from "@opentelemetry/core";
import { OTLPTraceExporter } from "@opentelemetry/exporter-trace-otlp-http";
import { resourceFromAttributes } from "@opentelemetry/resources";
import {
  AlwaysOffSampler,
  AlwaysOnSampler,
  BatchSpanProcessor,
  BasicTracerProvider,
  ParentBasedSampler,
  TraceIdRatioBasedSampler,
  type Sampler,
} from "@opentelemetry/sdk-trace-base";
import { recordingIn, useForApolloGateway } from "./apolloGatewayTracing.ts";
import { DEFAULT_TRACES_SAMPLER, type TracesSampler } from "./readObservabilityConfig.ts";
import type { IncomingHttpHeaders } from "node:http";

export interface Tracing {
  /** Whether spans are recorded and exported at all. */
  enabled: boolean;
  tracer: Tracer;
  /** Whether the span active now records (false when tracing is off or the request was sampled out): skip building spans when not. */
  recording(): boolean;
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
    recording: () => false,
    extract: () => ROOT_CONTEXT,
    inject: () => {},
    shutdown: async () => {},
  };
}

/** OpenTelemetry's standard samplers (OTEL_TRACES_SAMPLER). */
function samplerOf({ name, ratio }: TracesSampler): Sampler {
  const root = name.endsWith("always_off") ? new AlwaysOffSampler() : name.endsWith("traceidratio") ? new TraceIdRatioBasedSampler(ratio) : new AlwaysOnSampler();
  return name.startsWith("parentbased_") ? new ParentBasedSampler({ root }) : root;
}

export function createTracing(options: {
  service: string;
  otlpEndpoint: string | undefined;
  /** @default parentbased_always_on */
  sampler?: TracesSampler;
  /** Also receive @apollo/gateway's own spans (one service per process does). */
  global?: boolean;
}): Tracing {
  if (!options.otlpEndpoint) {
    // @apollo/gateway's spans cost nothing either.
    if (options.global) useForApolloGateway(undefined);
    return disabledTracing();
  }
  if (!contextManagerInstalled) {
    // Spans follow async work (resolvers, DataLoader batches, SQL) through AsyncLocalStorage.
    context.setGlobalContextManager(new AsyncLocalStorageContextManager().enable());
    propagation.setGlobalPropagator(propagator);
    contextManagerInstalled = true;
  }
  const exporter = new OTLPTraceExporter({ url: new URL("v1/traces", options.otlpEndpoint.replace(/\/?$/, "/")).toString() });
  const provider = new BasicTracerProvider({
    resource: resourceFromAttributes({ "service.name": options.service }),
    sampler: samplerOf(options.sampler ?? DEFAULT_TRACES_SAMPLER),
    spanProcessors: [new BatchSpanProcessor(exporter, { scheduledDelayMillis: 500 })],
  });
  if (options.global) useForApolloGateway(provider);
  return {
    enabled: true,
    tracer: provider.getTracer(options.service),
    recording: () => recordingIn(context.active()),
    extract: (headers) => propagator.extract(ROOT_CONTEXT, headers, headerGetter),
    inject: (headers) => propagator.inject(context.active(), headers, { set: (carrier, key, value) => carrier.set(key, value) }),
    shutdown: () => provider.shutdown(),
  };
}
