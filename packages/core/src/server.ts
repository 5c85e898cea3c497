import type { Span, SpanContext, SpanOptions, Tracer } from 'opentracing'
import { toCarrier, usableContext, type HeaderSource } from './carrier.js'
import {
  Policy,
  isNoopSpan,
  isNoopTracer,
  pathOf,
  type IgnoreOption,
  type Outcome,
  type TracingOptions,
} from './options.js'
import { ServerSpan } from './server-span.js'
import { normalizeMethod, redactUrl } from './url.js'

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

/** Reads the ServerRequestInfo of an adapter's own request object. */
export type ServerRequestReader<Source> = (source: Source) => ServerRequestInfo

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
// What opentracing's no-op tracer is given as a name when the request was not read: it keeps none.
const NOOP_SPAN_NAME = 'HTTP'
const DEFAULT_TRACE_HEADER = 'x-trace-id'
const HEADER_NAME = /^[!#$%&'*+\-.^_`|~0-9A-Za-z]{1,128}$/
// A trace id printable as a header value, whatever the tracer's id format.
const TRACE_ID_VALUE = /^[\x21-\x7e]{1,256}$/

/** Starts one server span per request, following the options; adapters call start() per request. */
export class ServerTracing {
  private readonly policy: Policy<ServerRequestInfo>
  private readonly trust: boolean | ((request: ServerRequestInfo) => boolean)
  private readonly responseHeader: string | undefined
  // An onFinish or operationName hook: finish() then has work even for the no-op tracer.
  private readonly hasFinishHooks: boolean

  constructor(
    readonly options: ServerTracingOptions,
    component: string,
  ) {
    this.policy = new Policy(options, component)
    this.trust = options.trustIncoming ?? true
    this.hasFinishHooks = options.onFinish !== undefined || options.operationName !== undefined
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
  start(request: ServerRequestInfo): ServerSpan | undefined
  /**
   * Starts the span of the adapter's own request object `source`, calling `read(source)` only if
   * something needs the request's details: not with opentracing's no-op tracer and no `ignore`
   * or hook, where reading them would be the dearest part of the request.
   */
  start<Source>(source: Source, read: ServerRequestReader<Source>): ServerSpan | undefined
  start(
    source: unknown,
    read: ServerRequestReader<unknown> = asRequestInfo,
  ): ServerSpan | undefined {
    const policy = this.policy
    const options = this.options
    let request: ServerRequestInfo | undefined
    if (policy.hasIgnore) {
      request = read(source)
      if (policy.ignores(request, pathOf(request.url))) return undefined
    }
    const tracer = policy.tracer()
    if (tracer === undefined) return undefined
    const recording = !isNoopTracer(tracer)
    // Read now or never: the span must not hold on to `source`. Express keeps spans in a WeakMap
    // keyed by that very request, and an entry whose value leads back to its key outlives V8's
    // minor GCs: every request and response got promoted (a major GC every ~1,900 requests
    // instead of ~2,500 in bench/, under the no-op tracer).
    if (recording || this.hasFinishHooks || options.onStart !== undefined) request ??= read(source)
    const method = request === undefined ? NOOP_SPAN_NAME : normalizeMethod(request.method)
    const spanOptions: SpanOptions = {}
    if (recording) {
      const described = request as ServerRequestInfo
      spanOptions.tags = this.startTags(described, method)
      if (this.trusts(described)) {
        const parent = this.extract(tracer, described.headers)
        if (parent !== undefined) spanOptions.childOf = parent
      }
    }
    const span = policy.startSpan(tracer, method, spanOptions)
    if (span === undefined) return undefined
    const header = this.responseHeader === undefined ? undefined : this.traceHeader(span)
    const onStart = options.onStart
    if (onStart !== undefined) {
      policy.callHook('onStart', onStart, { span, request: request as ServerRequestInfo })
    }
    // The global tracer over the no-op one cannot be seen through, but its spans can.
    const records = (recording && !isNoopSpan(span)) || this.hasFinishHooks
    return new ServerSpan(span, request, method, policy, options, header, records)
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

function asRequestInfo(request: unknown): ServerRequestInfo {
  return request as ServerRequestInfo
}

/** Creates the server lifecycle for an adapter; `component` is its `component` tag value. */
export function createServerTracing(
  options: ServerTracingOptions = {},
  component: string,
): ServerTracing {
  return new ServerTracing(options, component)
}
