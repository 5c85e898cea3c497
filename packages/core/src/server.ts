// One server request's span, start to finish: ServerTracing.start() reads the request, continues
// the caller's trace and starts the span; the handle it returns runs the handler with the span
// active and finishes it once, from the response's end or from the adapter's own result.
import { FORMAT_HTTP_HEADERS, type Span, type SpanContext } from 'opentracing'
import { isHeaderName, toCarrier } from './carrier.js'
import { withSpan } from './context.js'
import { ConnectionTimeoutError } from './errors.js'
import { Guard, guardedExtract, guardedTraceId, isNoopTracer, recordsNothing } from './guard.js'
import { onResponseEnd, type ResponseEnding, type ResponseLike } from './response-end.js'
import type {
  ServerFinishState,
  ServerRequestInfo,
  ServerResult,
  ServerTracingOptions,
} from './types.js'
import {
  addPeerAddress,
  capTag,
  ignoreRule,
  methodInName,
  normalizeMethod,
  OTHER_METHOD,
  pathOf,
  redactUrl,
  type IgnoreRule,
} from './url.js'

/** Reads the ServerRequestInfo of an adapter's own request object. */
export type ServerRequestReader<Source> = (source: Source) => ServerRequestInfo

/** Reads the route template that matched an adapter's request; undefined when none did. */
export type RouteReader<Source> = (source: Source) => string | undefined

// What every handle of one ServerTracing shares, made once.
interface ServerSettings {
  readonly guard: Guard
  readonly options: ServerTracingOptions
  readonly component: string
  // An onFinish or operationName hook: finishing has work even for the no-op tracer.
  readonly hasFinishHooks: boolean
}

// What opentracing's no-op tracer is given as a name when the request was not read: it keeps none.
const NOOP_SPAN_NAME = 'HTTP'
const DEFAULT_TRACE_HEADER = 'x-trace-id'
// A trace id printable as a header value, whatever the tracer's id format.
const TRACE_ID_VALUE = /^[\x21-\x7e]{1,256}$/

/** Starts one server span per request, following the options; adapters call start() per request. */
export class ServerTracing {
  private readonly settings: ServerSettings
  private readonly ignore: IgnoreRule<ServerRequestInfo> | undefined
  private readonly responseHeader: string | undefined

  constructor(component: string, options: ServerTracingOptions = {}) {
    const guard = new Guard(options.onError)
    const hasFinishHooks = options.onFinish !== undefined || options.operationName !== undefined
    this.settings = { guard, options, component, hasFinishHooks }
    this.ignore = ignoreRule(options.ignore)
    const header = options.traceResponseHeader
    const name = header === true ? DEFAULT_TRACE_HEADER : header || undefined
    if (name !== undefined && !isHeaderName(name)) {
      // Setting it would throw in the middle of the request: refuse it once, up front.
      guard.report(
        'traceResponseHeader',
        new TypeError(`"${name}" is not a valid header name; no trace id header is written`),
      )
    }
    this.responseHeader = name !== undefined && isHeaderName(name) ? name : undefined
  }

  /** Starts the span of `request`; undefined when the request is ignored or the tracer failed. */
  start(request: ServerRequestInfo): ServerSpanHandle | undefined
  /**
   * Starts the span of the adapter's own request object `source`, calling `read(source)` only if
   * something needs the request's details: not with opentracing's no-op tracer and no `ignore`
   * or hook, where reading them would be most of the cost of tracing the request.
   */
  start<Source>(source: Source, read: ServerRequestReader<Source>): ServerSpanHandle | undefined
  start(source: unknown, read: ServerRequestReader<unknown> = asRequestInfo) {
    const { settings, ignore } = this
    const { guard, options } = settings
    let request: ServerRequestInfo | undefined
    if (ignore !== undefined) {
      request = guard.call('describeRequest', read, source, undefined)
      if (request === undefined || guard.ignores(ignore, request, pathOf(request.url))) {
        return undefined
      }
    }
    const tracer = guard.tracer(options.tracer)
    if (tracer === undefined) return undefined
    const tracerRecords = !isNoopTracer(tracer)
    // Read now or never: the handle must not keep `source`, which an adapter may key the handle
    // by (an entry leading back to its key lives longer) or keep it on.
    if (tracerRecords || settings.hasFinishHooks || options.onStart !== undefined) {
      // A request the adapter cannot read (a framework broken on this transport, say) goes on
      // untraced rather than failing the app in the adapter.
      request ??= guard.call('describeRequest', read, source, undefined)
      if (request === undefined) return undefined
    }
    const method = request === undefined ? NOOP_SPAN_NAME : normalizeMethod(request.method)
    let tags: Record<string, unknown> | undefined
    let parent: SpanContext | undefined
    let refusedCaller = false
    if (tracerRecords) {
      const described = request as ServerRequestInfo
      tags = this.startTags(described, method)
      if (this.trusts(described)) {
        parent = guardedExtract(guard, tracer, FORMAT_HTTP_HEADERS, toCarrier(described.headers))
      } else {
        refusedCaller = true
      }
    }
    const span = guard.startSpan(tracer, methodInName(method), tags, parent, refusedCaller)
    if (span === undefined) return undefined
    const traceHeader = this.responseHeader === undefined ? undefined : this.traceHeader(span)
    if (options.onStart !== undefined) {
      const state = { span, request: request as ServerRequestInfo }
      guard.call('onStart', options.onStart, state, undefined)
    }
    // The global tracer over the no-op one cannot be seen through, but its spans can.
    const finishHasEffect = (tracerRecords && !recordsNothing(span)) || settings.hasFinishHooks
    return new ServerSpanHandle(span, request, method, traceHeader, finishHasEffect, settings)
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
      component: this.settings.component,
      'http.method': method,
      'http.url': redactUrl(url),
    }
    // Which method `_OTHER` stands for, under OpenTelemetry's name (no OpenTracing one exists).
    if (method === OTHER_METHOD) tags['http.request.method_original'] = capTag(request.method)
    // Without a Host the URL is the bare target, which loses the scheme: it goes under
    // OpenTelemetry's name too, where a backend needs it (HTTP/1.0 clients, health probes). Only
    // a target that is not a path may be an absolute URL (a proxy's request).
    if (url === request.url && (url.startsWith('/') || !url.includes('://'))) {
      tags['url.scheme'] = request.protocol ?? 'http'
    }
    if (request.remoteAddress !== undefined) addPeerAddress(tags, request.remoteAddress)
    if (request.remotePort !== undefined) tags['peer.port'] = request.remotePort
    return tags
  }

  private trusts(request: ServerRequestInfo): boolean {
    const trust = this.settings.options.trustIncoming ?? true
    if (typeof trust !== 'function') return trust
    return this.settings.guard.call('trustIncoming', trust, request, false)
  }

  private traceHeader(span: Span): TraceHeader | undefined {
    const traceId = guardedTraceId(this.settings.guard, span)
    if (traceId === undefined || !TRACE_ID_VALUE.test(traceId)) return undefined
    return { name: this.responseHeader as string, value: traceId }
  }
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

function asRequestInfo(request: unknown): ServerRequestInfo {
  return request as ServerRequestInfo
}

/** Creates the server lifecycle for an adapter; `component` is its `component` tag value. */
export function createServerTracing(
  component: string,
  options: ServerTracingOptions = {},
): ServerTracing {
  return new ServerTracing(component, options)
}
