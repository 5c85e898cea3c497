import { globalTracer, Span, Tracer, type SpanOptions } from 'opentracing'
import { isSpan } from './context.js'
import { describeError, describeStatusError } from './errors.js'
import { ErrorReporter, type ErrorHandler } from './report.js'
import { capTag } from './url.js'

/** A tracer, or a function returning the tracer to use for each request. */
export type TracerOption = Tracer | (() => Tracer)

/** Requests to leave untraced: a predicate, or paths (exact) and RegExps matched on the path. */
export type IgnoreOption<Request> = ((request: Request) => boolean) | ReadonlyArray<string | RegExp>

/** What isError decides on: the status received or sent, and the error seen, if any. */
export interface Outcome {
  statusCode?: number | undefined
  error?: unknown
}

/** Options every adapter takes. */
export interface TracingOptions {
  /** Tracer to use; default: opentracing's `globalTracer()`, resolved on each request. */
  tracer?: TracerOption
  /** Receives tracer and hook failures; default: a process warning, once per call site per 10 s. */
  onError?: ErrorHandler
}

const GLOBAL_TRACER = globalTracer()

/** Policy shared by server and client lifecycles, normalised once at factory time. */
export class Policy<Request> {
  readonly reporter: ErrorReporter
  private readonly tracerOption: TracerOption | undefined
  private readonly ignorePredicate: ((request: Request, path: string) => boolean) | undefined

  constructor(
    options: TracingOptions & { ignore?: IgnoreOption<Request> | undefined },
    readonly component: string,
  ) {
    this.reporter = new ErrorReporter(options.onError)
    this.tracerOption = options.tracer
    this.ignorePredicate = compileIgnore(options.ignore)
  }

  /** The tracer for this request, or undefined when a tracer function failed. */
  tracer(): Tracer | undefined {
    const option = this.tracerOption
    if (option === undefined) return GLOBAL_TRACER
    if (typeof option !== 'function') return option
    try {
      const tracer = option()
      return tracer ?? GLOBAL_TRACER
    } catch (error) {
      this.reporter.report('tracer option', error)
      return undefined
    }
  }

  /** True when the `ignore` option is set (so callers skip computing the path otherwise). */
  get hasIgnore(): boolean {
    return this.ignorePredicate !== undefined
  }

  /** Whether `ignore` excludes this request; `path` is its path without query. */
  ignores(request: Request, path: string): boolean {
    const predicate = this.ignorePredicate
    if (predicate === undefined) return false
    try {
      return predicate(request, path)
    } catch (error) {
      this.reporter.report('ignore', error)
      return false
    }
  }

  /** Runs a user hook; a throw is reported and otherwise ignored. */
  callHook<State>(name: string, hook: (state: State) => void, state: State): void {
    try {
      hook(state)
    } catch (error) {
      this.reporter.report(name, error)
    }
  }

  /** The user's isError verdict, or the default when there is none or it throws. */
  decideError(
    isError: ((outcome: Outcome) => boolean) | undefined,
    outcome: Outcome,
    fallback: boolean,
  ): boolean {
    if (isError === undefined) return fallback
    try {
      return isError(outcome)
    } catch (error) {
      this.reporter.report('isError', error)
      return fallback
    }
  }

  /** The user's operation name, or `fallback` when it throws or is not a non-empty string. */
  name<State>(operationName: (state: State) => string, state: State, fallback: string): string {
    try {
      const name = operationName(state)
      return typeof name === 'string' && name !== '' ? name : fallback
    } catch (error) {
      this.reporter.report('operationName', error)
      return fallback
    }
  }

  /** Starts a span; undefined (reported) when the tracer throws or returns no span. */
  startSpan(tracer: Tracer, name: string, options: SpanOptions): Span | undefined {
    let span: unknown
    try {
      span = tracer.startSpan(name, options)
    } catch (error) {
      this.reporter.report('startSpan', error)
      return undefined
    }
    if (isSpan(span)) return span
    this.reporter.report('startSpan', new TypeError('the tracer returned no span'))
    return undefined
  }

  /**
   * Sets the final name (unless undefined) and tags, logs the error when `failed` (the exception,
   * with `error.type` and `error.message` tags too; else the status), and finishes `span`; each
   * tracer call guarded on its own.
   */
  finishSpan(
    span: Span,
    name: string | undefined,
    tags: Record<string, unknown>,
    failure: { error: unknown; statusCode: number | undefined } | undefined,
  ): void {
    const errorLog =
      failure === undefined
        ? undefined
        : failure.error === undefined
          ? describeStatusError(failure.statusCode)
          : describeError(failure.error)
    if (errorLog !== undefined && failure?.error !== undefined) {
      // Some tracers drop logs (dd-trace) and show errors from tags only.
      tags['error.type'] = errorLog['error.kind']
      tags['error.message'] = capTag(String(errorLog.message))
    }
    if (name !== undefined) {
      try {
        span.setOperationName(name)
      } catch (error) {
        this.reporter.report('setOperationName', error)
      }
    }
    try {
      span.addTags(tags)
    } catch (error) {
      this.reporter.report('addTags', error)
    }
    if (errorLog !== undefined) {
      try {
        span.log(errorLog)
      } catch (error) {
        this.reporter.report('log', error)
      }
    }
    try {
      span.finish()
    } catch (error) {
      this.reporter.report('finish', error)
    }
  }
}

function compileIgnore<Request>(
  ignore: IgnoreOption<Request> | undefined,
): ((request: Request, path: string) => boolean) | undefined {
  if (ignore === undefined) return undefined
  if (typeof ignore === 'function') return (request) => ignore(request)
  if (ignore.length === 0) return undefined
  const paths = new Set(ignore.filter((entry): entry is string => typeof entry === 'string'))
  const patterns = ignore.filter((entry): entry is RegExp => entry instanceof RegExp)
  return (_request, path) => {
    if (paths.has(path)) return true
    for (const pattern of patterns) {
      pattern.lastIndex = 0
      if (pattern.test(path)) return true
    }
    return false
  }
}

const NOOP_TRACER = Tracer.prototype as unknown as Record<string, unknown>

/**
 * True for opentracing's own no-op Tracer (or a subclass keeping its startSpan and extract): its
 * extract always returns an empty context and its spans keep nothing, so callers need not read
 * headers or build tags for it, as OpenTelemetry instrumentations skip a non-recording span.
 */
export function isNoopTracer(tracer: Tracer): boolean {
  const methods = tracer as unknown as Record<string, unknown>
  return (
    methods.startSpan === NOOP_TRACER.startSpan &&
    methods._startSpan === NOOP_TRACER._startSpan &&
    methods.extract === NOOP_TRACER.extract &&
    methods._extract === NOOP_TRACER._extract
  )
}

/**
 * True for a span of opentracing's own no-op class (what its no-op tracer returns, through the
 * global tracer too): nothing set on it is kept.
 */
export function isNoopSpan(span: Span): boolean {
  return Object.getPrototypeOf(span) === Span.prototype
}

/** The path part of a path-and-query or absolute URL, without query or fragment. */
export function pathOf(url: string): string {
  let end = url.length
  const query = url.indexOf('?')
  if (query !== -1) end = query
  const hash = url.indexOf('#')
  if (hash !== -1 && hash < end) end = hash
  let start = 0
  const scheme = url.indexOf('://')
  if (scheme !== -1 && scheme < end) {
    const slash = url.indexOf('/', scheme + 3)
    if (slash === -1 || slash > end) return '/'
    start = slash
  }
  return url.slice(start, end)
}
