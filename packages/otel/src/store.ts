// tracehop's active span kept in OTel's context: one context for tracehop and every OTel
// instrumentation, so neither can see a different active span than the other.
import {
  context,
  createContextKey,
  propagation,
  ROOT_CONTEXT,
  SpanKind,
  trace,
  type Baggage,
  type Context,
  type Span as OtelSpan,
} from '@opentelemetry/api'
import type { ContextStore, Transport } from '@tracehop/core/adapter'
import type { Span } from 'opentracing'
import { isEdgeSpan, RPC_METADATA } from './edge.js'
import { ACTIVE_SPAN_KEY, BridgeSpan, withOnlyBaggage } from './span.js'
import { OpenTracingOnOtel } from './tracer.js'

/**
 * The context store @tracehop/otel installs: running a span enters an OTel context holding it
 * (its OTel span as OTel's active span, its baggage as OTel's baggage); the active span is
 * tracehop's while OTel's active span is still its own, else OTel's active span, wrapped.
 * `tracesTransport` says whether an OTel instrumentation already traces calls over a transport.
 */
export function otelContextStore(
  tracer: OpenTracingOnOtel,
  tracesTransport: (transport: Transport) => boolean,
): ContextStore {
  // An OTel span's wrapper, made anew when the context's baggage differs from the one it was made
  // with: a wrapper is never changed, so calls made at once in different contexts keep their own.
  const wrappers = new WeakMap<object, { span: BridgeSpan; baggage: Baggage | undefined }>()
  return {
    active(): Span | undefined {
      const active = context.active()
      const span = active.getValue(ACTIVE_SPAN_KEY) as Span | undefined
      const otelSpan = trace.getSpan(active)
      if (span !== undefined && (!(span instanceof BridgeSpan) || span.otel === otelSpan)) {
        return span
      }
      if (otelSpan === undefined) return span
      // An OTel span started inside tracehop's (or with none): it parents what tracehop starts,
      // through the tracer of the tracehop span it runs in (one per provider).
      const baggage = propagation.getBaggage(active)
      const known = wrappers.get(otelSpan)
      if (known !== undefined && known.baggage === baggage) return known.span
      const enclosing = span instanceof BridgeSpan ? span : undefined
      const owner = enclosing?.tracer()
      const wrapper = (owner instanceof OpenTracingOnOtel ? owner : tracer).wrap(
        otelSpan,
        baggage,
        enclosing?.spanContext.base,
      )
      wrappers.set(otelSpan, { span: wrapper, baggage })
      return wrapper
    },
    tracesTransport,
    run<T>(span: Span, fn: () => T): T {
      const active = context.active()
      if (!(span instanceof BridgeSpan)) return context.with(new SpanFrame(active, span), fn)
      const entered = new SpanFrame(startingPoint(span, active), span, span.otel)
      // The span's baggage and no other: a root span (an untrusted caller's request, say) must
      // not pass on baggage an OTel instrumentation extracted before tracehop decided.
      return context.with(withOnlyBaggage(entered, span.spanContext.baggage), fn)
    },
  }
}

// The OTel API's own key for the active span (context keys are registered symbols).
const OTEL_SPAN_KEY = createContextKey('OpenTelemetry Context Key SPAN')

/**
 * The context a span runs in: `parent` with tracehop's span and its OTel span (if any) set. One
 * object, where setting both would copy every entry of `parent` twice: most requests never derive
 * another context from it, and one that does pays for that copy then, once.
 */
class SpanFrame implements Context {
  private flat: Context | undefined

  constructor(
    private readonly parent: Context,
    private readonly span: Span,
    private readonly otelSpan?: OtelSpan,
  ) {}

  getValue(key: symbol): unknown {
    if (key === ACTIVE_SPAN_KEY) return this.span
    if (key === OTEL_SPAN_KEY && this.otelSpan !== undefined) return this.otelSpan
    return this.parent.getValue(key)
  }

  setValue(key: symbol, value: unknown): Context {
    return this.flattened().setValue(key, value)
  }

  deleteValue(key: symbol): Context {
    return this.flattened().deleteValue(key)
  }

  private flattened(): Context {
    if (this.flat === undefined) {
      const withSpan = this.parent.setValue(ACTIVE_SPAN_KEY, this.span)
      this.flat = this.otelSpan === undefined ? withSpan : trace.setSpan(withSpan, this.otelSpan)
    }
    return this.flat
  }
}

// Where a span's context is entered from: the active one, except for a request's span that did not
// continue the SERVER span instrumentation-http made active for the request (it served a caller
// tracehop does not trust). What a propagator read from that caller (B3's debug flag) stays
// behind, or instrumentation-http and -undici would send it on with the request's calls; the RPC
// metadata instrumentation-http keeps there for its own span's route goes on. Entered again
// later (from inside the request), a span's context is entered from the active one.
function startingPoint(span: BridgeSpan, active: Context): Context {
  if (span.startKind !== SpanKind.SERVER) return active
  const base = span.spanContext.base
  const instrumentation = trace.getSpan(active)
  if (instrumentation === undefined || trace.getSpan(base) === instrumentation) return active
  if (!isEdgeSpan(active, instrumentation)) return active
  return base.setValue(RPC_METADATA, active.getValue(RPC_METADATA))
}

const PROBE = createContextKey('tracehop context probe')

/** True when a context manager is registered: OTel's context follows `context.with()`. */
export function hasContextManager(): boolean {
  return (
    context.with(ROOT_CONTEXT.setValue(PROBE, true), () => context.active().getValue(PROBE)) ===
    true
  )
}

/** True when a propagator is registered: inject writes something. */
export function hasPropagator(): boolean {
  return propagation.fields().length > 0
}
