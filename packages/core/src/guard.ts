import { globalTracer, Span, Tracer, type SpanContext, type SpanOptions } from 'opentracing'
import { usableContext } from './carrier.js'
import { ErrorReporter, failureLog, type Failure } from './errors.js'
import type { ErrorHandler, TracerOption } from './types.js'
import { capTag, type IgnoreRule } from './url.js'

const GLOBAL_TRACER = globalTracer()

/**
 * Every call tracehop makes into the tracer or into user code (options, hooks), each guarded: a
 * throw is reported through `onError` and the caller gets a fallback. Nothing here throws, so
 * instrumentation never changes what the application does.
 */
export class Guard {
  private readonly reporter: ErrorReporter

  constructor(onError?: ErrorHandler) {
    this.reporter = new ErrorReporter(onError)
  }

  /** Reports a failure at `where` (at most once per call site and window). */
  report(where: string, error: unknown): void {
    this.reporter.report(where, error)
  }

  /** `fn(arg)`, or `fallback` when it throws. */
  call<Arg, Result>(where: string, fn: (arg: Arg) => Result, arg: Arg, fallback: Result): Result {
    try {
      return fn(arg)
    } catch (error) {
      this.report(where, error)
      return fallback
    }
  }

  /** Whether the `ignore` rule excludes `request`, whose path is `path`; false when it throws. */
  ignores<Request>(rule: IgnoreRule<Request>, request: Request, path: string): boolean {
    try {
      return rule(request, path)
    } catch (error) {
      this.report('ignore', error)
      return false
    }
  }

  /** The tracer `option` names for this request, or undefined when a tracer function failed. */
  tracer(option: TracerOption | undefined): Tracer | undefined {
    if (option === undefined) return GLOBAL_TRACER
    if (typeof option !== 'function') return option
    try {
      return option() ?? GLOBAL_TRACER
    } catch (error) {
      this.report('tracer option', error)
      return undefined
    }
  }

  /** The user's operation name, or `fallback` when it throws or is not a non-empty string. */
  name<State>(operationName: (state: State) => string, state: State, fallback: string): string {
    const name = this.call('operationName', operationName, state, fallback)
    return typeof name === 'string' && name !== '' ? name : fallback
  }

  /**
   * Starts a span with `tags`, the child of `parent` when there is one; undefined (reported) when
   * the tracer throws or returns no span.
   */
  startSpan(
    tracer: Tracer,
    name: string,
    tags: Record<string, unknown> | undefined,
    parent: SpanContext | undefined,
    refusedCaller = false,
  ): Span | undefined {
    // `childOf`, not a reference: the OpenTelemetry shim parents only by `childOf`. One shape for
    // every span (absent fields undefined, which every tracer reads as absent).
    const options = { tags, childOf: parent, [REFUSED_CALLER]: refusedCaller } as SpanOptions
    let span: unknown
    try {
      span = tracer.startSpan(name, options)
    } catch (error) {
      this.report('startSpan', error)
      return undefined
    }
    if (isSpan(span)) return span
    this.report('startSpan', new TypeError('the tracer returned no span'))
    return undefined
  }

  /** The span's context, or undefined when the tracer throws. */
  context(span: Span): SpanContext | undefined {
    try {
      return span.context()
    } catch (error) {
      this.report('context', error)
      return undefined
    }
  }

  /** Injects the span's context into `carrier`; false when the tracer throws. */
  inject(tracer: Tracer, span: Span, format: string, carrier: Record<string, unknown>): boolean {
    try {
      tracer.inject(span.context(), format, carrier)
      return true
    } catch (error) {
      this.report('inject', error)
      return false
    }
  }

  /**
   * Renames the span (unless `name` is undefined), sets `tags`, records `failure` if there is one
   * and finishes the span, each tracer call guarded on its own. A failure is recorded the same
   * way on every span: the `error` tag, an error log, and for an exception `error.type` and
   * `error.message` tags too, since some tracers (dd-trace) drop logs and show errors from tags.
   */
  finishSpan(
    span: Span,
    name: string | undefined,
    tags: Record<string, unknown> | undefined,
    failure: Failure | undefined,
  ): void {
    let log: Record<string, unknown> | undefined
    if (failure !== undefined) {
      log = failureLog(failure)
      tags ??= {}
      tags.error = true
      if (failure.error !== undefined) {
        tags['error.type'] = log['error.kind']
        tags['error.message'] = capTag(String(log.message))
      }
    }
    if (name !== undefined) {
      try {
        span.setOperationName(name)
      } catch (error) {
        this.report('setOperationName', error)
      }
    }
    if (tags !== undefined) {
      try {
        span.addTags(tags)
      } catch (error) {
        this.report('addTags', error)
      }
    }
    if (log !== undefined) {
      try {
        span.log(log)
      } catch (error) {
        this.report('log', error)
      }
    }
    try {
      span.finish()
    } catch (error) {
      this.report('finish', error)
    }
  }
}

// Server-only guarded calls, outside the class so a client-only (browser) bundle leaves them out.

/** The context extracted from `carrier` when it can parent a span (see usableContext()). */
export function guardedExtract(
  guard: Guard,
  tracer: Tracer,
  format: string,
  carrier: Record<string, string>,
): SpanContext | undefined {
  try {
    return usableContext(tracer.extract(format, carrier))
  } catch (error) {
    guard.report('extract', error)
    return undefined
  }
}

/** The span's trace id, or undefined when the tracer throws or has none. */
export function guardedTraceId(guard: Guard, span: Span): string | undefined {
  try {
    const traceId = span.context().toTraceId()
    return typeof traceId === 'string' && traceId !== '' ? traceId : undefined
  } catch (error) {
    guard.report('context', error)
    return undefined
  }
}

/** True when `value` has the methods tracehop calls on a span. */
export function isSpan(value: unknown): value is Span {
  if (value === null || typeof value !== 'object') return false
  const candidate = value as Partial<Record<keyof Span, unknown>>
  return (
    typeof candidate.finish === 'function' &&
    typeof candidate.context === 'function' &&
    typeof candidate.addTags === 'function' &&
    typeof candidate.log === 'function'
  )
}

/**
 * A startSpan option on every span core starts: true on a server span whose caller's context
 * `trustIncoming` refused (a tracer bridge must not continue that caller through another
 * instrumentation's span either), else false. Its presence tells a bridge that core decides the
 * span's failure, by the `isError` rules, and says it with the `error` tag.
 */
export const REFUSED_CALLER: unique symbol = Symbol.for('tracehop.refusedCaller')

/**
 * True for opentracing's own no-op Tracer (or a subclass keeping its startSpan and extract): its
 * extract always returns an empty context and its spans keep nothing, so callers need not read
 * headers or build tags for it, as OpenTelemetry instrumentations skip a non-recording span.
 */
export function isNoopTracer(tracer: Tracer): boolean {
  const methods = tracer as unknown as Record<string, unknown>
  // Read here, not once at load, so that a bundle without the server lifecycle leaves it out.
  const noopTracer = Tracer.prototype as unknown as Record<string, unknown>
  return (
    methods.startSpan === noopTracer.startSpan &&
    methods._startSpan === noopTracer._startSpan &&
    methods.extract === noopTracer.extract &&
    methods._extract === noopTracer._extract
  )
}

/**
 * True for a span that keeps nothing set on it: one of opentracing's own no-op class (what its
 * no-op tracer returns, through the global tracer too), or one that says so through an
 * `isRecording()` of OpenTelemetry's meaning (a sampled-out span of @tracehop/otel).
 */
export function recordsNothing(span: Span): boolean {
  if (Object.getPrototypeOf(span) === Span.prototype) return true
  const isRecording = (span as { isRecording?: unknown }).isRecording
  if (typeof isRecording !== 'function') return false
  try {
    return isRecording.call(span) === false
  } catch {
    return false
  }
}
