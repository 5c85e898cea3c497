import type { Span, SpanContext, SpanOptions, Tracer } from 'opentracing'
import { toCarrier, usableContext, type HeaderSource } from './carrier.js'
import { withSpan } from './context.js'
import {
  Policy,
  isNoopSpan,
  isNoopTracer,
  pathOf,
  type IgnoreOption,
  type Outcome,
  type TracingOptions,
} from './options.js'
import { watchResponse, type ResponseEndListener, type ResponseLike } from './response.js'
import { capTag, normalizeMethod, redactUrl } from './url.js'

/** A request as a server adapter sees it, in plain data. */
export interface ServerRequestInfo {
  /** HTTP method as received. */
  method: string
  /** Path and query as received (e.g. Express `req.originalUrl`, Fastify `request.url`). */
  url: string
  /** Request headers; never mutated. */
  headers: HeaderSource
  /** Host header, for `http.url`; default: none (the URL is recorded without origin). */
  host?: string | undefined
  /** `http` or `https`; default `http`. */
  protocol?: string | undefined
  /** Client address, recorded as `peer.ipv4` / `peer.ipv6`. */
  remoteAddress?: string | undefined
  /** Client port, recorded as `peer.port`. */
  remotePort?: number | undefined
}

/** How a server request ended, as the adapter saw it. */
export interface ServerResult {
  /** Status sent; leave undefined when no response was sent. */
  statusCode?: number | undefined
  /** Route template that matched, e.g. `/users/:id`; undefined when none did. */
  route?: string | undefined
  /** True when the client went away before the response was complete. */
  aborted?: boolean | undefined
  /** Error seen while handling the request, if any (added to what recordError() got). */
  error?: unknown
}

/** State given to a server span's onStart hook. */
export interface ServerStartState {
  span: Span
  request: ServerRequestInfo
}

/** State given to a server span's onFinish hook and operationName option. */
export interface ServerFinishState extends ServerStartState {
  method: string
  statusCode: number | undefined
  route: string | undefined
  error: unknown
  aborted: boolean
}

/** Options of every server adapter. */
export interface ServerTracingOptions extends TracingOptions {
  /** Requests not to trace; default: none. */
  ignore?: IgnoreOption<ServerRequestInfo>
  /** Operation name from the finished request; default: `METHOD /route/:template` or `METHOD`. */
  operationName?: (state: ServerFinishState) => string
  /** Called after the span starts; default: none. */
  onStart?: (state: ServerStartState) => void
  /** Called before the span finishes, to add tags; default: none. */
  onFinish?: (state: ServerFinishState) => void
  /** Whether the request failed; default: a status >= 500 or an error (not the client's abort). */
  isError?: (outcome: Outcome) => boolean
  /** Whether to continue the caller's trace and baggage; default: true (false for public edges). */
  trustIncoming?: boolean | ((request: ServerRequestInfo) => boolean)
  /** Response header that carries the trace id (`true`: `x-trace-id`); default: off. */
  traceResponseHeader?: boolean | string
}

const HTTP_HEADERS = 'http_headers'
const NO_TAGS: Record<string, unknown> = Object.freeze({})
const DEFAULT_TRACE_HEADER = 'x-trace-id'
const HEADER_NAME = /^[!#$%&'*+\-.^_`|~0-9A-Za-z]{1,128}$/
// A trace id printable as a header value, whatever the tracer's id format.
const TRACE_ID_VALUE = /^[\x21-\x7e]{1,256}$/

/** Starts one server span per request, following the options; adapters call start() per request. */
export class ServerTracing {
  private readonly policy: Policy<ServerRequestInfo>
  private readonly trust: boolean | ((request: ServerRequestInfo) => boolean)
  private readonly responseHeader: string | undefined

  constructor(
    readonly options: ServerTracingOptions,
    component: string,
  ) {
    this.policy = new Policy(options, component)
    this.trust = options.trustIncoming ?? true
    const header = options.traceResponseHeader
    const name = header === true ? DEFAULT_TRACE_HEADER : header || undefined
    if (name !== undefined && !HEADER_NAME.test(name)) {
      // Setting it would throw in the middle of the request: refuse it once, up front.
      this.policy.reporter.report(
        'traceResponseHeader',
        new TypeError(`"${name}" is not a valid header name; no trace id header is written`),
      )
    }
    this.responseHeader = name !== undefined && HEADER_NAME.test(name) ? name : undefined
  }

  /** Starts the span of `request`; undefined when the request is ignored or the tracer failed. */
  start(request: ServerRequestInfo): ServerSpan | undefined {
    const policy = this.policy
    if (policy.hasIgnore && policy.ignores(request, pathOf(request.url))) return undefined
    const tracer = policy.tracer()
    if (tracer === undefined) return undefined
    const method = normalizeMethod(request.method)
    const recording = !isNoopTracer(tracer)
    const options: SpanOptions = recording ? { tags: this.startTags(request, method) } : {}
    if (recording && this.trusts(request)) {
      const parent = this.extract(tracer, request.headers)
      if (parent !== undefined) options.childOf = parent
    }
    const span = policy.startSpan(tracer, method, options)
    if (span === undefined) return undefined
    const header = this.responseHeader === undefined ? undefined : this.traceHeader(span)
    const onStart = this.options.onStart
    if (onStart !== undefined) policy.callHook('onStart', onStart, { span, request })
    // The global tracer over the no-op one cannot be seen through, but its spans can.
    const records = recording && !isNoopSpan(span)
    return new ServerSpan(span, request, method, policy, this.options, header, records)
  }

  private startTags(request: ServerRequestInfo, method: string): Record<string, unknown> {
    const host = request.host
    // An absolute-form request target (`GET http://host/path`) is already a full URL.
    const url =
      host && request.url.startsWith('/')
        ? `${request.protocol ?? 'http'}://${host}${request.url}`
        : request.url
    const tags: Record<string, unknown> = {
      'span.kind': 'server',
      component: this.policy.component,
      'http.method': method,
      'http.url': redactUrl(url),
    }
    const address = request.remoteAddress
    if (address !== undefined) {
      if (address.includes(':') && !address.startsWith('::ffff:')) tags['peer.ipv6'] = address
      else tags['peer.ipv4'] = address.startsWith('::ffff:') ? address.slice(7) : address
    }
    if (request.remotePort !== undefined) tags['peer.port'] = request.remotePort
    return tags
  }

  private trusts(request: ServerRequestInfo): boolean {
    const trust = this.trust
    if (typeof trust !== 'function') return trust
    try {
      return trust(request)
    } catch (error) {
      this.policy.reporter.report('trustIncoming', error)
      return false
    }
  }

  private traceHeader(span: Span): readonly [string, string] | undefined {
    try {
      const traceId = span.context().toTraceId()
      if (typeof traceId === 'string' && TRACE_ID_VALUE.test(traceId)) {
        return [this.responseHeader as string, traceId]
      }
    } catch (error) {
      this.policy.reporter.report('context', error)
    }
    return undefined
  }

  private extract(tracer: Tracer, headers: HeaderSource): SpanContext | undefined {
    try {
      return usableContext(tracer.extract(HTTP_HEADERS, toCarrier(headers)))
    } catch (error) {
      this.policy.reporter.report('extract', error)
      return undefined
    }
  }
}

/** The span of one server request: run the handler in it, record errors, finish it once. */
export class ServerSpan {
  private finished = false
  private error: unknown = undefined

  /**
   * False when finish() has no effect (opentracing's no-op span, and no onFinish or operationName
   * hook to call): adapters may then skip watching for the end of the response.
   */
  readonly recordsResult: boolean

  constructor(
    /** The request's span (what `req.span` / `request.span` expose). */
    readonly span: Span,
    /** The request as the adapter described it to start(). */
    readonly request: ServerRequestInfo,
    private readonly method: string,
    private readonly policy: Policy<ServerRequestInfo>,
    private readonly options: ServerTracingOptions,
    /** `[name, trace id]` to set on the response when `traceResponseHeader` is on. */
    readonly responseHeader: readonly [string, string] | undefined,
    recording = true,
  ) {
    this.recordsResult =
      recording || options.onFinish !== undefined || options.operationName !== undefined
  }

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
        request: this.request,
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

/** Creates the server lifecycle for an adapter; `component` is its `component` tag value. */
export function createServerTracing(
  options: ServerTracingOptions = {},
  component: string,
): ServerTracing {
  return new ServerTracing(options, component)
}
