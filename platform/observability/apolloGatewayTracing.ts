/**
 * Where @apollo/gateway's own spans (`gateway.request`, `gateway.plan`,
 * `gateway.execute`, `gateway.fetch`, ...) go. @apollo/gateway takes its
 * tracer from the global OpenTelemetry API once, at import; the API's no-op
 * tracer still builds a span object and a new context (a Map copy) for each
 * of them, about ten per request. This registers, once per process, a global
 * provider whose tracer runs the span's callback directly with one shared
 * non-recording span whenever nothing would be recorded: no tracing
 * configured, or the request's own span is sampled out. A recording request
 * gets the real provider's spans, children of the request's, as before.
 */
import {
  context,
  INVALID_SPAN_CONTEXT,
  trace,
  type Context,
  type Span,
  type SpanOptions,
  type Tracer,
  type TracerProvider,
} from "@opentelemetry/api";

const NOT_RECORDED: Span = trace.wrapSpanContext(INVALID_SPAN_CONTEXT);

let current: TracerProvider | undefined;
let installed = false;

/** Whether the span active in `ctx` records. */
function recordingIn(ctx: Context): boolean {
  return trace.getSpan(ctx)?.isRecording() ?? false;
}

/** The tracer @apollo/gateway gets: the real provider's while the active span records, else nothing at all. */
class ShortCircuitTracer implements Tracer {
  private delegate: { provider: TracerProvider; tracer: Tracer } | undefined;

  constructor(
    private readonly name: string,
    private readonly version: string | undefined,
  ) {}

  /** The real tracer, or undefined when this span would not be recorded. */
  private real(ctx: Context): Tracer | undefined {
    const provider = current;
    if (!provider) return undefined;
    // A request's spans are children of its (sampled-out) server span: skip them all.
    const active = trace.getSpan(ctx);
    if (active && !active.isRecording()) return undefined;
    if (this.delegate?.provider !== provider) this.delegate = { provider, tracer: provider.getTracer(this.name, this.version) };
    return this.delegate.tracer;
  }

  startSpan(name: string, options?: SpanOptions, ctx: Context = context.active()): Span {
    return this.real(ctx)?.startSpan(name, options, ctx) ?? NOT_RECORDED;
  }

  startActiveSpan<F extends (span: Span) => unknown>(name: string, ...rest: unknown[]): ReturnType<F> {
    const fn = rest[rest.length - 1] as F;
    const ctx = rest.length >= 3 ? ((rest[1] as Context | undefined) ?? context.active()) : context.active();
    const real = this.real(ctx);
    if (!real) return fn(NOT_RECORDED) as ReturnType<F>;
    return (real.startActiveSpan as (...args: unknown[]) => ReturnType<F>).call(real, name, ...rest);
  }
}

const shortCircuitProvider: TracerProvider = {
  getTracer: (name, version) => new ShortCircuitTracer(name, version),
};

/**
 * Makes `provider` (undefined: none) receive @apollo/gateway's spans.
 * @returns whether the global provider is this module's (false when another one was registered first)
 */
export function useForApolloGateway(provider: TracerProvider | undefined): boolean {
  current = provider;
  if (!installed) installed = trace.setGlobalTracerProvider(shortCircuitProvider);
  return installed;
}

export { recordingIn };
