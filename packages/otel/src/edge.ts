// Where a span starts in OTel's context: under its parent, and for a request's span beside an
// OTel HTTP instrumentation, under that instrumentation's SERVER span when it served the same
// caller; with tracing suppressed where OTel code suppressed it.
import {
  createContextKey,
  isSpanContextValid,
  ROOT_CONTEXT,
  SpanKind,
  trace,
  type Context,
  type Span as OtelSpan,
} from '@opentelemetry/api'
import type { BridgeSpanContext } from './span.js'

/**
 * Where a span continuing `parent` (none: a root) starts, `activeContext` OTel's active context.
 * An OpenTelemetry HTTP instrumentation may already have made the request's own SERVER span,
 * active when tracehop starts its server span: tracehop's starts under it when that span continued
 * the same caller, or no caller at all, so that the request is one tree, not two traces. Another
 * parent is used as given.
 */
export function parentContext(
  parent: BridgeSpanContext | undefined,
  kind: SpanKind,
  refusedCaller: boolean,
  activeContext: Context,
): Context {
  let given = parent === undefined ? ROOT_CONTEXT : parent.toContext()
  // OTel code suppresses tracing around what it must not trace (an exporter's own calls): the
  // SDK then starts no span, and the propagators inject nothing, when the flag is where they look.
  if (activeContext.getValue(SUPPRESS_TRACING) === true) {
    given = given.setValue(SUPPRESS_TRACING, true)
  }
  if (kind === SpanKind.SERVER && (parent === undefined || parent.fromCarrier)) {
    const active = trace.getSpan(activeContext)
    // The caller's context (a propagator's flags too), under the instrumentation's span.
    if (active !== undefined && isSameRequest(activeContext, active, parent, refusedCaller)) {
      return trace.setSpan(given, active)
    }
  }
  return given
}

// Read from the SDK's span, which has them (`parentSpanId` before SDK 2).
interface InstrumentationSpan {
  kind?: unknown
  parentSpanContext?: unknown
  parentSpanId?: unknown
}

// Whether `active` is an instrumentation's SERVER span for the request whose caller sent `caller`:
// in the caller's trace, or, with no caller trace, a root itself. With `trustIncoming: false`
// tracehop reads no caller, and an instrumentation span that continued one is not joined.
function isSameRequest(
  activeContext: Context,
  active: OtelSpan,
  caller: BridgeSpanContext | undefined,
  refusedCaller: boolean,
): boolean {
  const span = active as InstrumentationSpan
  // A span its sampler dropped says neither its kind nor its parent: instrumentation-http's is
  // told by the metadata it keeps beside it (another, such as the app's start-up span active where
  // the server listens, is no request's). Left out, tracehop's span would be a new root sampled
  // anew, and the edge's decision not to sample would not hold.
  const recorded = active.isRecording()
  if (recorded ? span.kind !== SpanKind.SERVER : !isEdgeSpan(activeContext, active)) return false
  if (caller !== undefined && isSpanContextValid(caller.otel)) {
    if (active.spanContext().traceId !== caller.otel.traceId) return false
    // In the caller's trace is not enough: a request dispatched in-process (fastify.inject())
    // from another request of the same trace runs where that one's SERVER span is active. Only a
    // span that continued this very caller is the request's. A dropped one says no parent: the
    // edge span it is (told above) is taken as the request's.
    return !recorded || continuedCaller(activeContext, active, caller.otel.spanId)
  }
  // Only a caller tracehop read nothing from, trusted, may be the one it continued.
  if (!recorded) return !refusedCaller
  return span.parentSpanContext === undefined && span.parentSpanId === undefined
}

// Whether the recorded SERVER span `active` continued the caller whose span is `callerSpanId`.
function continuedCaller(activeContext: Context, active: OtelSpan, callerSpanId: string): boolean {
  const span = active as InstrumentationSpan
  // The SDK's span says its parent, as undefined for a root (the outer request's span, say).
  if ('parentSpanContext' in span || 'parentSpanId' in span) {
    const parent = span.parentSpanContext as { spanId?: unknown } | undefined
    return (parent?.spanId ?? span.parentSpanId) === callerSpanId
  }
  // Another implementation's does not: only the span instrumentation-http made for the request
  // being served is known to be its.
  return isEdgeSpan(activeContext, active)
}

// @opentelemetry/core's keys (context keys are registered symbols), not imported: the API alone is
// a dependency. instrumentation-http keeps the request's SERVER span in the RPC metadata too.
export const RPC_METADATA = createContextKey('OpenTelemetry SDK Context Key RPC_METADATA')
const SUPPRESS_TRACING = createContextKey('OpenTelemetry SDK Context Key SUPPRESS_TRACING')

/** Whether `span` is the SERVER span instrumentation-http made for the request `active` serves. */
export function isEdgeSpan(active: Context, span: OtelSpan): boolean {
  return (active.getValue(RPC_METADATA) as { span?: unknown } | undefined)?.span === span
}
