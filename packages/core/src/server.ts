// The start of a server request's span: ServerTracing.start() reads the request, continues the
// caller's trace and starts the span; the ServerSpanHandle it returns does the rest.
import { FORMAT_HTTP_HEADERS, type Span, type SpanContext } from 'opentracing'
import { isHeaderName, toCarrier } from './carrier.js'
import { Guard, guardedExtract, guardedTraceId, isNoopTracer, recordsNothing } from './guard.js'
import { ServerSpanHandle, type ServerSettings, type TraceHeader } from './server-span.js'
import type { ServerRequestInfo, ServerTracingOptions } from './types.js'
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
