// An OpenTracing span and span context over an OTel span and span context.
import {
  createContextKey,
  isSpanContextValid,
  ROOT_CONTEXT,
  SpanStatusCode,
  trace,
  type Attributes,
  type Baggage,
  type Context,
  type HrTime,
  type Span as OtelSpan,
  type SpanContext as OtelSpanContext,
  type SpanKind,
} from '@opentelemetry/api'
import { propagation } from '@opentelemetry/api'
import { isErrorInstance } from '@tracehop/core/adapter'
import { Span, SpanContext, type Tracer } from 'opentracing'
import { attributeValue, endsInError, kindOf, mapTags, type Outcome } from './attributes.js'
import {
  errorAttributes,
  exceptionAttributes,
  otherFields,
  readSafely,
  RecordedErrors,
  recordedOnForeignSpan,
} from './exceptions.js'

/** Where the active tracehop span sits in OTel's context, beside OTel's own active span. */
export const ACTIVE_SPAN_KEY = createContextKey('tracehop active span')

/** An OpenTracing span context: an OTel span context (maybe invalid: baggage only) and baggage. */
export class BridgeSpanContext extends SpanContext {
  /** Baggage keys set with setBaggageItem() on its span: they win over the context's. */
  keysSet: Set<string> | undefined
  private context: Context | undefined
  private contextBaggage: Baggage | undefined

  constructor(
    /** The OTel span context; invalid for a carrier that held baggage only. */
    readonly otel: OtelSpanContext,
    /** The span's OpenTracing baggage, as OTel Baggage. */
    public baggage: Baggage | undefined,
    /**
     * The OTel context this one continues: the one read from a carrier, or a span's parent's.
     * What else a propagator kept there (B3's debug flag, say) goes on with every inject.
     */
    readonly base: Context = ROOT_CONTEXT,
    /** Read from a carrier (extract), not a span's own context. */
    readonly fromCarrier = false,
  ) {
    super()
    if (fromCarrier) this.context = base
    this.contextBaggage = baggage
  }

  /** The OTel context carrying this span context and its baggage: to parent a span or inject. */
  toContext(): Context {
    // Made once per baggage: a span's context parents every child and every inject of the span.
    if (this.context === undefined || this.contextBaggage !== this.baggage) {
      const withSpan = trace.setSpanContext(this.base, this.otel)
      this.context = withOnlyBaggage(withSpan, this.baggage)
      this.contextBaggage = this.baggage
    }
    return this.context
  }

  override toTraceId(): string {
    // A baggage-only context has no trace of its own: '' lets it parent a new trace.
    return isSpanContextValid(this.otel) ? this.otel.traceId : ''
  }

  override toSpanId(): string {
    return isSpanContextValid(this.otel) ? this.otel.spanId : ''
  }
}

/** Options a BridgeSpan is made with. */
export interface BridgeSpanSettings {
  readonly tracer: Tracer
  readonly kind: SpanKind
  /** Write OpenTracing tag names beside OTel's. */
  readonly keepOpenTracingTags: boolean
  /** A span tracehop did not start (an OTel instrumentation's): never ended through tracehop. */
  readonly foreign: boolean
}

/** An OpenTracing span over an OTel span. */
export class BridgeSpan extends Span {
  /** The span context, typed. */
  readonly spanContext: BridgeSpanContext
  private readonly outcome: Outcome
  // The kind its tags are read as: the start's, or one tagged later (see _addTags()).
  private kind: SpanKind
  private ended = false
  // The errors recorded as exception events so far: made when the first is logged.
  private exceptions: RecordedErrors | undefined

  /** `base`: the OTel context the span started in (see BridgeSpanContext). */
  constructor(
    /** The OTel span. */
    readonly otel: OtelSpan,
    baggage: Baggage | undefined,
    outcome: Outcome,
    private readonly settings: BridgeSpanSettings,
    base: Context,
  ) {
    super()
    this.spanContext = new BridgeSpanContext(otel.spanContext(), baggage, base)
    this.outcome = outcome
    this.kind = settings.kind
  }

  /** The OTel kind the span started as. */
  get startKind(): SpanKind {
    return this.settings.kind
  }

  /** False for a span the SDK does not record (sampled out): tracehop then records nothing. */
  isRecording(): boolean {
    return this.otel.isRecording()
  }

  protected override _context(): BridgeSpanContext {
    return this.spanContext
  }

  protected override _tracer(): Tracer {
    return this.settings.tracer
  }

  protected override _setOperationName(name: string): void {
    // An ended span keeps its name: the SDK would only warn (as for tags and logs below).
    if (!this.otel.isRecording()) return
    this.otel.updateName(name)
  }

  protected override _setBaggageItem(key: string, value: string): void {
    const context = this.spanContext
    context.baggage = (context.baggage ?? propagation.createBaggage()).setEntry(key, { value })
    ;(context.keysSet ??= new Set()).add(key)
  }

  protected override _getBaggageItem(key: string): string | undefined {
    return this.spanContext.baggage?.getEntry(key)?.value
  }

  protected override _addTags(tags: Record<string, unknown>): void {
    if (!this.otel.isRecording()) return
    const attributes: Attributes = {}
    const kindTag = tags['span.kind']
    const taggedKind = typeof kindTag === 'string' ? kindOf(kindTag) : this.kind
    if (taggedKind !== this.kind && typeof kindTag === 'string') {
      // OTel fixes a span's kind at its start. Code that tags it later (`setTag(SPAN_KIND, …)`)
      // still has it said, as an attribute, and its other tags read as that kind's.
      this.kind = taggedKind
      attributes['span.kind'] = kindTag
    }
    mapTags(tags, this.kind, attributes, this.outcome, this.settings.keepOpenTracingTags)
    this.otel.setAttributes(attributes)
    // A span tracehop did not start is not finished through it: an error tag marks it at once.
    if (this.settings.foreign && this.outcome.failed)
      this.otel.setStatus({ code: SpanStatusCode.ERROR })
  }

  protected override _log(fields: Record<string, unknown>, timestamp?: number): void {
    if (!this.otel.isRecording()) return
    const time = timestamp === undefined ? undefined : hrTime(timestamp)
    const event = fields.event
    if (event === 'error') {
      this.logError(fields, time)
      return
    }
    const attributes: Attributes = {}
    for (const key of Object.keys(fields)) {
      if (key === 'event') continue
      const value = attributeValue(fields[key])
      if (value !== undefined) attributes[key] = value
    }
    this.otel.addEvent(typeof event === 'string' ? event : 'log', attributes, time)
  }

  private logError(fields: Record<string, unknown>, time: HrTime | undefined): void {
    const error = fields['error.object']
    // An error `instanceof` cannot be asked of (a throwing proxy) is logged from the fields alone.
    const isError = isErrorInstance(error)
    if (this.recordedErrors().isRepeat(error, this.outcome.failed)) {
      // Whoever logs it again may have tagged `error.type` from its class in between.
      if (isError) this.takeErrorCode(error)
      return
    }
    if (isError) {
      this.recordError(error, fields, time)
      return
    }
    if (fields['error.kind'] === 'HTTPStatus') {
      // A failure by status alone is the status code's to tell: not an exception's, nor that of
      // an error logged and handled before it. What the app tagged stands.
      const outcome = this.outcome
      outcome.errorType = outcome.taggedErrorType
      outcome.errorMessage = outcome.taggedErrorMessage
      return
    }
    this.otel.addEvent(
      'exception',
      { ...exceptionAttributes(fields), ...otherFields(fields) },
      time,
    )
  }

  // One OTel span tracehop did not start has a wrapper per baggage: they share what it recorded.
  private recordedErrors(): RecordedErrors {
    return (this.exceptions ??= this.settings.foreign
      ? recordedOnForeignSpan(this.otel)
      : new RecordedErrors())
  }

  // A low-cardinality code (`ECONNREFUSED`) says more than the class name, as OTel's own do.
  private takeErrorCode(error: Error): boolean {
    const code = readSafely(() => (error as { code?: unknown }).code)
    if (code === undefined || code === '') return false
    this.outcome.errorType = code
    return true
  }

  // An Error's getters can throw (a proxy, a lazy `stack`): what the log's fields already say
  // then stands in for what could not be read, and nothing reaches the app's log() call.
  private recordError(
    error: Error,
    fields: Record<string, unknown>,
    time: HrTime | undefined,
  ): void {
    const other = otherFields(fields)
    try {
      if (other === undefined) this.otel.recordException(error, time)
      else this.otel.addEvent('exception', { ...errorAttributes(error), ...other }, time)
    } catch {
      this.otel.addEvent('exception', { ...exceptionAttributes(fields), ...other }, time)
    }
    const outcome = this.outcome
    if (!this.takeErrorCode(error)) {
      outcome.errorType ??= readSafely(() => error.name) ?? text(fields['error.kind'])
    }
    outcome.errorMessage ??= readSafely(() => error.message) ?? text(fields.message)
  }

  protected override _finish(finishTime?: number): void {
    if (this.ended || this.settings.foreign) return
    this.ended = true
    const outcome = this.outcome
    if (this.otel.isRecording() && endsInError(this.kind, outcome)) {
      // ERROR only: UNSET is the default, and OK would be final, overriding later instrumentation.
      const errorType =
        outcome.errorType ??
        (outcome.statusCode === undefined ? '_OTHER' : String(outcome.statusCode))
      this.otel.setAttribute('error.type', errorType)
      const message = outcome.errorMessage
      this.otel.setStatus(
        message === undefined || message === ''
          ? { code: SpanStatusCode.ERROR }
          : { code: SpanStatusCode.ERROR, message },
      )
    }
    this.otel.end(finishTime === undefined ? undefined : hrTime(finishTime))
  }
}

function text(value: unknown): string | undefined {
  return typeof value === 'string' ? value : undefined
}

/** `context` with `baggage` as its OTel baggage, and none when that is undefined. */
export function withOnlyBaggage(context: Context, baggage: Baggage | undefined): Context {
  if (baggage !== undefined) return propagation.setBaggage(context, baggage)
  return propagation.getBaggage(context) === undefined
    ? context
    : propagation.deleteBaggage(context)
}

/** OpenTracing's epoch milliseconds (fractions included) as an OTel HrTime, to the microsecond. */
export function hrTime(milliseconds: number): HrTime {
  const seconds = Math.floor(milliseconds / 1000)
  const nanoseconds = Math.round((milliseconds - seconds * 1000) * 1000) * 1000
  return nanoseconds >= 1e9 ? [seconds + 1, nanoseconds - 1e9] : [seconds, nanoseconds]
}
