import { randomBytes } from 'node:crypto'
import { performance } from 'node:perf_hooks'
import {
  FORMAT_HTTP_HEADERS,
  FORMAT_TEXT_MAP,
  REFERENCE_CHILD_OF,
  REFERENCE_FOLLOWS_FROM,
  Span,
  SpanContext,
  Tracer,
  type SpanOptions,
} from 'opentracing'
import { formatBaggage, formatTraceParent, parseBaggage, parseTraceParent } from './w3c.js'

/** The context of a recorded span: W3C ids and baggage. */
export class RecordingSpanContext extends SpanContext {
  constructor(
    readonly traceId: string,
    readonly spanId: string,
    readonly sampled: boolean = true,
    readonly baggage: Map<string, string> = new Map(),
  ) {
    super()
  }

  override toTraceId(): string {
    return this.traceId
  }

  override toSpanId(): string {
    return this.spanId
  }
}

/** One log entry of a recorded span. */
export interface RecordedLog {
  /** Milliseconds since the epoch, fractional. */
  timestamp: number
  fields: Record<string, unknown>
}

/** A span kept in memory, with everything the instrumentation did to it. */
export class RecordingSpan extends Span {
  operationName: string
  readonly tags: Record<string, unknown>
  readonly logs: RecordedLog[] = []
  /** Span id of the `childOf` (or first `followsFrom`) parent; undefined for a root span. */
  readonly parentId: string | undefined
  readonly references: ReadonlyArray<{ type: string; spanId: string; traceId: string }>
  /** Milliseconds since the epoch, fractional. */
  readonly startTime: number
  /** Set by the first finish(). */
  finishTime: number | undefined = undefined
  /** How many times finish() was called: exactly 1 for a well-behaved instrumentation. */
  finishCount = 0
  private readonly spanContext: RecordingSpanContext

  constructor(
    private readonly owner: RecordingTracer,
    name: string,
    options: SpanOptions,
  ) {
    super()
    this.operationName = name
    this.startTime = options.startTime ?? now()
    this.tags = { ...options.tags }
    const references = (options.references ?? []).flatMap((ref) => {
      const context = ref.referencedContext()
      return context instanceof RecordingSpanContext
        ? [{ type: ref.type(), spanId: context.spanId, traceId: context.traceId }]
        : []
    })
    this.references = references
    const parentRef =
      references.find((ref) => ref.type === REFERENCE_CHILD_OF) ??
      references.find((ref) => ref.type === REFERENCE_FOLLOWS_FROM)
    const parentContext = (options.references ?? [])
      .map((ref) => ref.referencedContext())
      .find(
        (context): context is RecordingSpanContext =>
          context instanceof RecordingSpanContext && context.spanId === parentRef?.spanId,
      )
    this.parentId = parentRef?.spanId
    this.spanContext = new RecordingSpanContext(
      parentRef?.traceId ?? randomHex(16),
      randomHex(8),
      parentContext?.sampled ?? true,
      new Map(parentContext?.baggage),
    )
  }

  /** This span's trace id. */
  get traceId(): string {
    return this.spanContext.traceId
  }

  /** This span's id. */
  get spanId(): string {
    return this.spanContext.spanId
  }

  /** Duration in milliseconds, or undefined while the span is open. */
  get duration(): number | undefined {
    return this.finishTime === undefined ? undefined : this.finishTime - this.startTime
  }

  /** Baggage items of this span. */
  get baggage(): ReadonlyMap<string, string> {
    return this.spanContext.baggage
  }

  protected override _context(): RecordingSpanContext {
    return this.spanContext
  }

  protected override _tracer(): RecordingTracer {
    return this.owner
  }

  protected override _setOperationName(name: string): void {
    this.operationName = name
  }

  protected override _setBaggageItem(key: string, value: string): void {
    this.spanContext.baggage.set(key, value)
  }

  protected override _getBaggageItem(key: string): string | undefined {
    return this.spanContext.baggage.get(key)
  }

  protected override _addTags(keyValuePairs: Record<string, unknown>): void {
    Object.assign(this.tags, keyValuePairs)
  }

  protected override _log(fields: Record<string, unknown>, timestamp?: number): void {
    this.logs.push({ timestamp: timestamp ?? now(), fields: { ...fields } })
  }

  protected override _finish(finishTime?: number): void {
    this.finishCount++
    if (this.finishCount === 1) {
      this.finishTime = finishTime ?? now()
      this.owner.onFinished(this)
    }
  }
}

/**
 * An OpenTracing tracer that keeps every span in memory, with working inject/extract in the W3C
 * `traceparent` and `baggage` headers, for tests of instrumented code.
 */
export class RecordingTracer extends Tracer {
  private started: RecordingSpan[] = []
  private finished: RecordingSpan[] = []

  /** Starts a span; typed as a RecordingSpan so tests can read what was recorded. */
  override startSpan(name: string, options?: SpanOptions): RecordingSpan {
    // eslint-disable-next-line @typescript-eslint/no-unsafe-class-instance-assignment -- _startSpan is this tracer's only span factory
    return super.startSpan(name, options) as RecordingSpan
  }

  /** Every span started since the last reset(), in start order. */
  spans(): RecordingSpan[] {
    return [...this.started]
  }

  /** Spans finished since the last reset(), in finish order. */
  finishedSpans(): RecordingSpan[] {
    return [...this.finished]
  }

  /** Spans started but not finished yet. */
  openSpans(): RecordingSpan[] {
    return this.started.filter((span) => span.finishCount === 0)
  }

  /** Forgets every span. */
  reset(): void {
    this.started = []
    this.finished = []
  }

  /** @internal */
  onFinished(span: RecordingSpan): void {
    this.finished.push(span)
  }

  protected override _startSpan(name: string, fields: SpanOptions): RecordingSpan {
    const span = new RecordingSpan(this, name, fields)
    this.started.push(span)
    return span
  }

  protected override _inject(context: SpanContext, format: string, carrier: unknown): void {
    if (format !== FORMAT_HTTP_HEADERS && format !== FORMAT_TEXT_MAP) return
    if (!(context instanceof RecordingSpanContext) || carrier === null) return
    if (typeof carrier !== 'object') return
    const headers = carrier as Record<string, string>
    headers.traceparent = formatTraceParent(context)
    if (context.baggage.size > 0) headers.baggage = formatBaggage(context.baggage)
  }

  protected override _extract(format: string, carrier: unknown): RecordingSpanContext | null {
    if (format !== FORMAT_HTTP_HEADERS && format !== FORMAT_TEXT_MAP) return null
    if (carrier === null || typeof carrier !== 'object') return null
    let traceparent: unknown
    let baggage: unknown
    for (const key of Object.keys(carrier)) {
      const name = key.toLowerCase()
      if (name === 'traceparent') traceparent = (carrier as Record<string, unknown>)[key]
      else if (name === 'baggage') baggage = (carrier as Record<string, unknown>)[key]
    }
    if (typeof traceparent !== 'string') return null
    const parent = parseTraceParent(traceparent)
    if (parent === null) return null
    const items = typeof baggage === 'string' ? parseBaggage(baggage) : new Map<string, string>()
    return new RecordingSpanContext(parent.traceId, parent.spanId, parent.sampled, items)
  }
}

function randomHex(bytes: number): string {
  let id = randomBytes(bytes).toString('hex')
  while (/^0+$/.test(id)) id = randomBytes(bytes).toString('hex')
  return id
}

function now(): number {
  return performance.timeOrigin + performance.now()
}
