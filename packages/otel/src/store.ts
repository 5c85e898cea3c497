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
import { ENTERED_BAGGAGE_KEY } from './baggage.js'
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
  const wrappers = new WrapperCache()
  return {
    active(): Span | undefined {
      const active = context.active()
      const span = active.getValue(ACTIVE_SPAN_KEY) as Span | undefined
      const otelSpan = trace.getSpan(active)
      if (span !== undefined && (!(span instanceof BridgeSpan) || span.otel === otelSpan)) {
        return span
      }
      // `span` is tracehop's, not OTel's active span any more. With none active (OTel code
      // removed it: trace.deleteSpan()), tracehop has none either: what starts there is a root,
      // as OTel's own spans are.
      if (otelSpan === undefined) return undefined
      // An OTel span started inside tracehop's (or with none): it parents what tracehop starts,
      // through the tracer of the tracehop span it runs in (one per provider).
      const baggage = propagation.getBaggage(active)
      const known = wrappers.get(otelSpan, baggage)
      if (known !== undefined) return known
      const enclosing = span instanceof BridgeSpan ? span : undefined
      const owner = enclosing?.tracer()
      const wrapper = (owner instanceof OpenTracingOnOtel ? owner : tracer).wrap(
        otelSpan,
        baggage,
        enclosing?.spanContext.base,
      )
      wrappers.set(otelSpan, baggage, wrapper)
      return wrapper
    },
    tracesTransport,
    run<T>(span: Span, fn: () => T): T {
      const active = context.active()
      if (!(span instanceof BridgeSpan)) {
        return context.with(new SpanFrame(active, span, propagation.getBaggage(active)), fn)
      }
      // The span's baggage and no other: a root span (an untrusted caller's request, say) must
      // not pass on baggage an OTel instrumentation extracted before tracehop decided.
      const baggage = span.spanContext.baggage
      return context.with(new SpanFrame(startingPoint(span, active), span, baggage, span.otel), fn)
    },
  }
}

/**
 * An OTel span's wrappers, one per baggage of the contexts it was found active in: a wrapper is
 * never changed, so calls made at once in different contexts keep their own, and back in a
 * context with the same baggage, the same wrapper, with what setBaggageItem() set on it, is found.
 */
class WrapperCache {
  private readonly bySpan = new WeakMap<OtelSpan, SpanWrappers>()

  get(otelSpan: OtelSpan, baggage: Baggage | undefined): BridgeSpan | undefined {
    const wrappers = this.bySpan.get(otelSpan)
    if (wrappers === undefined) return undefined
    return baggage === undefined ? wrappers.withoutBaggage : wrappers.byBaggage?.get(baggage)
  }

  set(otelSpan: OtelSpan, baggage: Baggage | undefined, wrapper: BridgeSpan): void {
    let wrappers = this.bySpan.get(otelSpan)
    if (wrappers === undefined) this.bySpan.set(otelSpan, (wrappers = {}))
    if (baggage === undefined) wrappers.withoutBaggage = wrapper
    // Held weakly: a long-lived OTel span can be found under many baggages, each soon gone.
    else (wrappers.byBaggage ??= new WeakMap()).set(baggage, wrapper)
  }
}

interface SpanWrappers {
  withoutBaggage?: BridgeSpan
  byBaggage?: WeakMap<Baggage, BridgeSpan>
}

// The OTel API's own keys for the active span and the baggage (context keys are registered
// symbols).
const OTEL_SPAN_KEY = createContextKey('OpenTelemetry Context Key SPAN')
const OTEL_BAGGAGE_KEY = createContextKey('OpenTelemetry Baggage Key')

/**
 * The context a span runs in: `parent` with tracehop's span, its OTel span (if any) and `baggage`
 * as OTel's baggage, which is also kept as the baggage the span was entered with. One object,
 * where setting each would copy every entry of `parent` again: most requests never derive another
 * context from it, and one that does pays for those copies then, once.
 */
class SpanFrame implements Context {
  private flat: Context | undefined

  constructor(
    private readonly parent: Context,
    private readonly span: Span,
    private readonly baggage: Baggage | undefined,
    private readonly otelSpan?: OtelSpan,
  ) {}

  getValue(key: symbol): unknown {
    if (key === ACTIVE_SPAN_KEY) return this.span
    if (key === OTEL_SPAN_KEY && this.otelSpan !== undefined) return this.otelSpan
    if (key === OTEL_BAGGAGE_KEY || key === ENTERED_BAGGAGE_KEY) return this.baggage
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
      let flat = this.parent.setValue(ACTIVE_SPAN_KEY, this.span)
      if (this.otelSpan !== undefined) flat = trace.setSpan(flat, this.otelSpan)
      flat = withOnlyBaggage(flat, this.baggage)
      // Most requests enter no baggage, and have none to keep.
      if (flat.getValue(ENTERED_BAGGAGE_KEY) !== this.baggage) {
        flat = flat.setValue(ENTERED_BAGGAGE_KEY, this.baggage)
      }
      this.flat = flat
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
