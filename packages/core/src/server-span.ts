// What an adapter holds for one server request once its span started: the span run around the
// handler, and finished once, from the response's end or from the adapter's own result.
import type { Span } from 'opentracing'
import { withSpan } from './context.js'
import { ConnectionTimeoutError } from './errors.js'
import type { Guard } from './guard.js'
import { onResponseEnd, type ResponseEnding, type ResponseLike } from './response-end.js'
import type {
  ServerFinishState,
  ServerRequestInfo,
  ServerResult,
  ServerTracingOptions,
} from './types.js'
import { capTag, methodInName } from './url.js'

/** Reads the route template that matched an adapter's request; undefined when none did. */
export type RouteReader<Source> = (source: Source) => string | undefined

// What every handle of one ServerTracing shares, made once.
export interface ServerSettings {
  readonly guard: Guard
  readonly options: ServerTracingOptions
  readonly component: string
  // An onFinish or operationName hook: finishing has work even for the no-op tracer.
  readonly hasFinishHooks: boolean
}

/** A response header carrying the trace id. */
export interface TraceHeader {
  readonly name: string
  readonly value: string
}

const NO_TAGS = undefined

/** What an adapter holds for one server request: its span, and how to end it once. */
export class ServerSpanHandle {
  private finished = false
  private error: unknown = undefined
  // Set by failResponse(): the server, not the client, cut the response short.
  private serverCut = false

  /** Made by ServerTracing.start(). */
  constructor(
    /** The request's span (what `req.span` / `request.span` expose). */
    readonly span: Span,
    /** The request as the adapter described it; undefined when nothing needed it. */
    readonly request: ServerRequestInfo | undefined,
    private readonly method: string,
    /** The header to set on the response when `traceResponseHeader` is on, else undefined. */
    readonly traceHeader: TraceHeader | undefined,
    private readonly finishHasEffect: boolean,
    private readonly settings: ServerSettings,
  ) {}

  /** Runs `fn` with this span active (activeSpan() returns it inside, across awaits). */
  run<T>(fn: () => T): T {
    return withSpan(this.span, fn)
  }

  /** Remembers the first error of the request; it is recorded when the span finishes. */
  recordError(error: unknown): void {
    if (this.error === undefined) this.error = error ?? new Error(String(error))
  }

  /** Records `error` as the server cutting the response short: a failure, not an abort. */
  failResponse(error: unknown): void {
    this.recordError(error)
    this.serverCut = true
  }

  /** True once finish() ran. */
  get isFinished(): boolean {
    return this.finished
  }

  /**
   * Finishes the span when Node's `response` ends: sent in full, cut short by the client, or its
   * connection timed out; `routeOf(source)` names the route then. Watches nothing when finishing
   * would have no effect (opentracing's no-op span and no finish hooks).
   */
  finishOnResponseEnd<Source>(
    request: unknown,
    response: ResponseLike,
    routeOf: RouteReader<Source>,
    source: Source,
  ): void {
    if (!this.finishHasEffect) return
    const guard = this.settings.guard
    onResponseEnd(request, new ResponseFinish(this, response, routeOf, source, guard))
  }

  /** Sets the final tags and name and finishes the span; later calls do nothing. */
  finish(result: ServerResult): void {
    if (this.finished) return
    this.finished = true
    const { guard, options } = this.settings
    if (!this.finishHasEffect) {
      guard.finishSpan(this.span, undefined, NO_TAGS, undefined)
      return
    }
    const { statusCode } = result
    const route = result.route || undefined
    const aborted = result.aborted === true && !this.serverCut
    const error = result.error ?? this.error
    const tags: Record<string, unknown> = {}
    if (statusCode !== undefined) tags['http.status_code'] = statusCode
    if (route !== undefined) tags['http.route'] = capTag(route)
    if (aborted) tags['http.aborted'] = true
    const failed =
      options.isError === undefined
        ? isServerError(statusCode, error, aborted)
        : guard.call(
            'isError',
            options.isError,
            { statusCode, error },
            isServerError(statusCode, error, aborted),
          )
    const method = this.method
    const named = methodInName(method)
    let name = route === undefined ? named : `${named} ${capTag(route)}`
    const { operationName, onFinish } = options
    if (operationName !== undefined || onFinish !== undefined) {
      const request = this.request as ServerRequestInfo
      const state: ServerFinishState = {
        span: this.span,
        request,
        method,
        statusCode,
        route,
        error,
        aborted,
      }
      if (operationName !== undefined) name = guard.name(operationName, state, name)
      if (onFinish !== undefined) guard.call('onFinish', onFinish, state, undefined)
    }
    guard.finishSpan(this.span, name, tags, failed ? { error, statusCode } : undefined)
  }
}

// A status >= 500 or an error fails the request; but when the client went away, the error is
// usually that very abort (a body parser's "request aborted"): only a 5xx counts then.
function isServerError(statusCode: number | undefined, error: unknown, aborted: boolean): boolean {
  if (statusCode !== undefined && statusCode >= 500) return true
  return error !== undefined && !aborted
}

// Made per watched request, apart from the handle: it holds the adapter's `source`, which the
// handle must not (see ServerTracing.start).
class ResponseFinish<Source> {
  constructor(
    private readonly handle: ServerSpanHandle,
    readonly response: ResponseLike,
    private readonly routeOf: RouteReader<Source>,
    private readonly source: Source,
    private readonly guard: Guard,
  ) {}

  responseEnded(ending: ResponseEnding, headersSent?: boolean): void {
    const { response, handle } = this
    const route = this.guard.call('route', this.routeOf, this.source, undefined) || undefined
    const statusCode =
      ending === 'finished' || (headersSent ?? response.headersSent)
        ? response.statusCode
        : undefined
    // The 101 went out on the socket, past the response object (which still says 200).
    if (ending === 'upgraded') handle.finish({ statusCode: SWITCHING_PROTOCOLS, route })
    else if (ending === 'timedOut')
      handle.finish({ statusCode, route, error: new ConnectionTimeoutError() })
    else handle.finish({ statusCode, route, aborted: ending === 'aborted' })
  }
}

const SWITCHING_PROTOCOLS = 101
