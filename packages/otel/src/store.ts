// tracehop's active span kept in OTel's context: one context for tracehop and every OTel
// instrumentation, so neither can see a different active span than the other.
import { context, createContextKey, propagation, ROOT_CONTEXT, trace } from '@opentelemetry/api'
import type { ContextStore, Transport } from '@tracehop/core/adapter'
import type { Span } from 'opentracing'
import { ACTIVE_SPAN_KEY, BridgeSpan } from './span.js'
import type { OpenTracingOnOtel } from './tracer.js'

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
  const wrappers = new WeakMap<object, BridgeSpan>()
  return {
    active(): Span | undefined {
      const active = context.active()
      const span = active.getValue(ACTIVE_SPAN_KEY) as Span | undefined
      const otelSpan = trace.getSpan(active)
      if (span !== undefined && (!(span instanceof BridgeSpan) || span.otel === otelSpan)) {
        return span
      }
      if (otelSpan === undefined) return span
      // An OTel span started inside tracehop's (or with none): it parents what tracehop starts.
      const baggage = propagation.getBaggage(active)
      let wrapper = wrappers.get(otelSpan)
      if (wrapper === undefined) {
        wrapper = tracer.wrap(otelSpan, baggage)
        wrappers.set(otelSpan, wrapper)
      } else wrapper.seeContextBaggage(baggage)
      return wrapper
    },
    tracesTransport,
    run<T>(span: Span, fn: () => T): T {
      let entered = context.active().setValue(ACTIVE_SPAN_KEY, span)
      if (span instanceof BridgeSpan) {
        entered = trace.setSpan(entered, span.otel)
        // The span's baggage and no other: a root span (an untrusted caller's request, say) must
        // not pass on baggage an OTel instrumentation extracted before tracehop decided.
        const baggage = span.spanContext.baggage
        if (baggage !== undefined) entered = propagation.setBaggage(entered, baggage)
        else if (propagation.getBaggage(entered) !== undefined) {
          entered = propagation.deleteBaggage(entered)
        }
      }
      return context.with(entered, fn)
    },
  }
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
