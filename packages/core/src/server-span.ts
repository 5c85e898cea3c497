import type { Span } from 'opentracing'
import { withSpan } from './context.js'
import type { Policy } from './options.js'
import { watchResponse, type ResponseEndListener, type ResponseLike } from './response.js'
import type {
  ServerFinishState,
  ServerRequestInfo,
  ServerResult,
  ServerTracingOptions,
} from './server.js'
import { capTag } from './url.js'

const NO_TAGS: Record<string, unknown> = Object.freeze({})

/** The span of one server request: run the handler in it, record errors, finish it once. */
export class ServerSpan {
  private finished = false
  private error: unknown = undefined

  constructor(
    /** The request's span (what `req.span` / `request.span` expose). */
    readonly span: Span,
    /**
     * The request as the adapter described it; undefined when nothing needed it (opentracing's
     * no-op tracer, with no ignore and no hooks), and always there when recordsResult is true.
     */
    readonly request: ServerRequestInfo | undefined,
    private readonly method: string,
    private readonly policy: Policy<ServerRequestInfo>,
    private readonly options: ServerTracingOptions,
    /** `[name, trace id]` to set on the response when `traceResponseHeader` is on. */
    readonly responseHeader: readonly [string, string] | undefined,
    /**
     * False when finish() has no effect (opentracing's no-op span, and no onFinish or
     * operationName hook to call): adapters may then skip watching for the end of the response.
     */
    readonly recordsResult: boolean,
  ) {}

  /**
   * Calls `end` when `response` ends, through watchResponse(); not at all when finish() would
   * have no effect (see recordsResult), since watching would then be the only per-request cost.
   */
  watchResponse<State>(
    request: unknown,
    response: ResponseLike,
    end: ResponseEndListener<State>,
    state: State,
  ): void {
    if (this.recordsResult) watchResponse(request, response, end, state)
  }

  /** Runs `fn` with this span active (activeSpan() returns it inside, across awaits). */
  run<T>(fn: () => T): T {
    return withSpan(this.span, fn)
  }

  /** Remembers the first error of the request; it is recorded when the span finishes. */
  recordError(error: unknown): void {
    if (this.error === undefined) this.error = error ?? new Error(String(error))
  }

  /** True once finish() ran. */
  get isFinished(): boolean {
    return this.finished
  }

  /** Sets the final tags and name and finishes the span; later calls do nothing. */
  finish(result: ServerResult): void {
    if (this.finished) return
    this.finished = true
    const { policy, options, method } = this
    if (!this.recordsResult) {
      policy.finishSpan(this.span, undefined, NO_TAGS, undefined)
      return
    }
    const statusCode = result.statusCode
    const route = result.route || undefined
    const aborted = result.aborted === true
    const error = result.error ?? this.error
    const tags: Record<string, unknown> = {}
    if (statusCode !== undefined) tags['http.status_code'] = statusCode
    if (route !== undefined) tags['http.route'] = capTag(route)
    if (aborted) tags['http.aborted'] = true
    const failed = policy.decideError(
      options.isError,
      { statusCode, error },
      isServerError(statusCode, error, aborted),
    )
    if (failed) tags.error = true
    let name = route === undefined ? method : `${method} ${capTag(route)}`
    const { operationName, onFinish } = options
    if (operationName !== undefined || onFinish !== undefined) {
      const state: ServerFinishState = {
        span: this.span,
        request: this.request as ServerRequestInfo,
        method,
        statusCode,
        route,
        error,
        aborted,
      }
      if (operationName !== undefined) name = policy.name(operationName, state, name)
      if (onFinish !== undefined) policy.callHook('onFinish', onFinish, state)
    }
    policy.finishSpan(this.span, name, tags, failed ? { error, statusCode } : undefined)
  }
}

// A status >= 500 or an error fails the request; but when the client went away, the error is
// usually that very abort (a body parser's "request aborted"): only a 5xx counts then.
function isServerError(statusCode: number | undefined, error: unknown, aborted: boolean): boolean {
  if (statusCode !== undefined && statusCode >= 500) return true
  return error !== undefined && !aborted
}
