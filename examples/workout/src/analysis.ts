// Turns collected spans into what a person reading a slow trace wants: a waterfall per trace,
// the slowest hop, what it waited on, and the critical path.
import { SpanKind } from '@opentelemetry/api'
import type { ReadableSpan } from '@opentelemetry/sdk-trace-base'
import {
  criticalPath,
  groupByTrace,
  renderWaterfall,
  traceTree,
  type RecordingSpan,
  type TraceNode,
  type TraceSpan,
} from '@tracehop/testing'

/** A span of any tracer, reduced to what the analysis reads (times in ms). */
export type DemoSpan = TraceSpan & { service: string }

const KIND_NAMES: Record<SpanKind, string> = {
  [SpanKind.INTERNAL]: 'internal',
  [SpanKind.SERVER]: 'server',
  [SpanKind.CLIENT]: 'client',
  [SpanKind.PRODUCER]: 'producer',
  [SpanKind.CONSUMER]: 'consumer',
}

/** Spans the OpenTelemetry SDK collected, as DemoSpans. */
export function fromOtel(spans: readonly ReadableSpan[]): DemoSpan[] {
  const ms = ([seconds, nanos]: readonly [number, number]) => seconds * 1000 + nanos / 1e6
  // OTel keeps the kind apart from the attributes; the analysis reads OpenTracing's tag. Through
  // OTel's OpenTracing shim every span is INTERNAL, and the tag is an attribute: kept then.
  const kindOf = (span: ReadableSpan) => {
    const tag = span.attributes['span.kind']
    return span.kind === SpanKind.INTERNAL && typeof tag === 'string' ? tag : KIND_NAMES[span.kind]
  }
  return spans.map((span) => ({
    traceId: span.spanContext().traceId,
    spanId: span.spanContext().spanId,
    parentId: span.parentSpanContext?.spanId,
    operationName: span.name,
    startTime: ms(span.startTime),
    finishTime: ms(span.endTime),
    tags: { ...span.attributes, 'span.kind': kindOf(span) },
    service: String(span.resource.attributes['service.name'] ?? '?'),
  }))
}

/** Spans a RecordingTracer per service kept, as DemoSpans. */
export function fromRecording(service: string, spans: readonly RecordingSpan[]): DemoSpan[] {
  return spans.map((span) => ({
    traceId: span.traceId,
    spanId: span.spanId,
    parentId: span.parentId,
    operationName: span.operationName,
    startTime: span.startTime,
    finishTime: span.finishTime,
    tags: span.tags,
    service,
  }))
}

/** What the demo says about one trace. */
export interface TraceReport {
  traceId: string
  total: number
  waterfall: string
  slowest: { span: DemoSpan; duration: number; share: number } | undefined
  /** Calls the slowest span made one after another to the same operation. */
  sequential: { name: string; count: number; duration: number } | undefined
  path: DemoSpan[]
}

/** Reports every trace in `spans`, oldest first. */
export function reportTraces(spans: readonly DemoSpan[]): TraceReport[] {
  return [...groupByTrace(spans)].map(([traceId, trace]) => reportTrace(traceId, trace))
}

function reportTrace(traceId: string, spans: DemoSpan[]): TraceReport {
  const [root] = traceTree(spans)
  const total = root === undefined ? 0 : durationOf(root.span)
  const label = (span: TraceSpan) =>
    `${(span as DemoSpan).service.padEnd(15)} ${span.operationName}`
  const waterfall = renderWaterfall(spans, { label, width: 40 })
  const slowestNode = findSlowestHop(root)
  return {
    traceId,
    total,
    waterfall,
    slowest:
      slowestNode === undefined
        ? undefined
        : {
            span: slowestNode.span,
            duration: durationOf(slowestNode.span),
            share: total === 0 ? 0 : durationOf(slowestNode.span) / total,
          },
    sequential: slowestNode === undefined ? undefined : sequentialCalls(slowestNode),
    path: criticalPath(spans),
  }
}

// The slowest hop is the longest server span below the entry point (the first server span, as a
// page's spans may come before it): the service where the request spent its time (client and
// in-process spans only wrap the hops they wait on).
function findSlowestHop(root: TraceNode<DemoSpan> | undefined): TraceNode<DemoSpan> | undefined {
  if (root === undefined) return undefined
  let entry: TraceNode<DemoSpan> | undefined
  let slowest: TraceNode<DemoSpan> | undefined
  const visit = (node: TraceNode<DemoSpan>) => {
    if (node !== root && node.span.tags['span.kind'] === 'server') {
      if (entry === undefined && root.span.tags['span.kind'] !== 'server') entry = node
      else if (slowest === undefined || durationOf(node.span) > durationOf(slowest.span)) {
        slowest = node
      }
    }
    node.children.forEach(visit)
  }
  visit(root)
  return slowest
}

function sequentialCalls(node: TraceNode<DemoSpan>): TraceReport['sequential'] {
  const byName = new Map<string, DemoSpan[]>()
  for (const { span } of node.children) {
    const list = byName.get(span.operationName) ?? []
    list.push(span)
    byName.set(span.operationName, list)
  }
  for (const [name, calls] of byName) {
    if (calls.length < 2) continue
    // Some tracers keep start times in whole milliseconds: a call starting within 1 ms of the
    // previous one's end still came after it.
    const overlapping = calls.some(
      (call, i) => i > 0 && call.startTime < (calls[i - 1]?.finishTime ?? call.startTime) - 1,
    )
    if (!overlapping) {
      const duration = calls.reduce((sum, call) => sum + durationOf(call), 0)
      return { name, count: calls.length, duration }
    }
  }
  return undefined
}

function durationOf(span: TraceSpan): number {
  return (span.finishTime ?? span.startTime) - span.startTime
}
