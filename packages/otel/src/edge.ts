// Where a span starts in OTel's context: under its parent, and for a request's span beside an
// OTel HTTP instrumentation, under that instrumentation's SERVER span when it served the same
// caller.
import {
  context as otelContext,
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
 * Where a span continuing `parent` (none: a root) starts. An OpenTelemetry HTTP instrumentation
 * may already have made the request's own SERVER span, active when tracehop starts its server
 * span: tracehop's starts under it when that span continued the same caller, or no caller at all,
 * so that the request is one tree, not two traces. Another parent is used as given.
 */
export function parentContext(
  parent: BridgeSpanContext | undefined,
  kind: SpanKind,
  refusedCaller: boolean,
): Context {
  const given = parent === undefined ? ROOT_CONTEXT : parent.toContext()
  if (kind === SpanKind.SERVER && (parent === undefined || parent.fromCarrier)) {
    const activeContext = otelContext.active()
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
    return active.spanContext().traceId === caller.otel.traceId
  }
  // Only a caller tracehop read nothing from, trusted, may be the one it continued.
  if (!recorded) return !refusedCaller
  return span.parentSpanContext === undefined && span.parentSpanId === undefined
}

// @opentelemetry/core's key (context keys are registered symbols), not imported: the API alone is
// a dependency. instrumentation-http keeps the request's SERVER span there too.
export const RPC_METADATA = createContextKey('OpenTelemetry SDK Context Key RPC_METADATA')

/** Whether `span` is the SERVER span instrumentation-http made for the request `active` serves. */
export function isEdgeSpan(active: Context, span: OtelSpan): boolean {
  return (active.getValue(RPC_METADATA) as { span?: unknown } | undefined)?.span === span
}
