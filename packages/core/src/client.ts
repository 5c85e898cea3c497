import type { Span, SpanOptions, Tracer } from 'opentracing'
import { padB3Id } from './carrier.js'
import { activeSpan } from './context.js'
import { Policy, pathOf, type IgnoreOption, type Outcome, type TracingOptions } from './options.js'
import { capTag, normalizeMethod, redactUrl } from './url.js'

/** An outbound request as a client adapter sees it, in plain data. */
export interface ClientRequestInfo {
  /** HTTP method. */
  method: string
  /** Absolute URL of the request. */
  url: string | URL
}

/** How an outbound request ended. */
export interface ClientResult {
  /** Status received; undefined when no response arrived. */
  statusCode?: number | undefined
  /** The network error, timeout or cancellation, if the call failed. */
  error?: unknown
  /** True when the caller cancelled the request (recorded as `http.aborted`, not an error). */
  aborted?: boolean | undefined
  /** True when the request timed out (recorded as `http.timeout` and an error). */
  timedOut?: boolean | undefined
  /** The URL finally requested, when it changed after start() (a later interceptor, say). */
  url?: string | URL | undefined
}

/** State given to a client span's hooks and operationName option. */
export interface ClientSpanState {
  span: Span | undefined
  request: ClientRequestInfo
  method: string
  /** `host:port` of the URL. */
  peer: string
}

/** State given to a client span's onFinish hook. */
export interface ClientFinishState extends ClientSpanState {
  span: Span
  result: ClientResult
}

/** Options of every client adapter. */
export interface ClientTracingOptions extends TracingOptions {
  /** Requests not to trace; default: none. */
  ignore?: IgnoreOption<ClientRequestInfo>
  /** Operation name of the client span; default: `METHOD host:port`. */
  operationName?: (state: ClientSpanState) => string
  /** Called after the span starts; default: none. */
  onStart?: (state: ClientSpanState & { span: Span }) => void
  /** Called before the span finishes, to add tags; default: none. */
  onFinish?: (state: ClientFinishState) => void
  /** Whether the call failed; default: a status >= 400 or a network error or timeout. */
  isError?: (outcome: Outcome) => boolean
  /** Whether to send trace headers to this URL; default: true (false keeps third parties out). */
  propagate?: boolean | ((url: string) => boolean)
  /** Trace only calls made while a span is active; default: false (root spans allowed). */
  requireParent?: boolean
}

const HTTP_HEADERS = 'http_headers'
const NO_HEADERS: Readonly<Record<string, string>> = Object.freeze({})

/** Starts one client span per outbound call; adapters call start() per request. */
export class ClientTracing {
  private readonly policy: Policy<ClientRequestInfo>
  private readonly propagate: boolean | ((url: string) => boolean)

  constructor(
    readonly options: ClientTracingOptions,
    component: string,
  ) {
    this.policy = new Policy(options, component)
    this.propagate = options.propagate ?? true
  }

  /** Starts the span of `request` as a child of the active span; undefined when not traced. */
  start(request: ClientRequestInfo): ClientSpan | undefined {
    const policy = this.policy
    const options = this.options
    const href = String(request.url)
    if (policy.hasIgnore && policy.ignores(request, pathOf(href))) return undefined
    const parent = activeSpan()
    if (parent === undefined && options.requireParent === true) return undefined
    const tracer = policy.tracer()
    if (tracer === undefined) return undefined
    const method = normalizeMethod(request.method)
    const target = describeTarget(request.url)
    const name = this.nameFor(request, method, target.peer)
    const tags: Record<string, unknown> = {
      'span.kind': 'client',
      component: policy.component,
      'http.method': method,
      ...target.tags,
    }
    const spanOptions: SpanOptions = { tags }
    if (parent !== undefined) {
      try {
        spanOptions.childOf = parent.context()
      } catch (error) {
        policy.reporter.report('context', error)
      }
    }
    const span = policy.startSpan(tracer, name, spanOptions)
    if (span === undefined) return undefined
    const headers = this.propagates(href) ? this.inject(tracer, span) : NO_HEADERS
    const peer = target.peer
    const call = new ClientSpan(span, headers, request, method, peer, this, policy)
    if (options.onStart !== undefined) {
      policy.callHook('onStart', options.onStart, { span, request, method, peer })
    }
    return call
  }

  /** Reports a failure of the adapter's own glue through `onError` (once per site per 10 s). */
  report(where: string, error: unknown): void {
    this.policy.reporter.report(where, error)
  }

  /** @internal The operation name of a call to `peer`. */
  nameFor(request: ClientRequestInfo, method: string, peer: string): string {
    const fallback = `${method} ${peer}`
    const operationName = this.options.operationName
    if (operationName === undefined) return fallback
    return this.policy.name(operationName, { span: undefined, request, method, peer }, fallback)
  }

  private propagates(url: string): boolean {
    const propagate = this.propagate
    if (typeof propagate !== 'function') return propagate
    try {
      return propagate(url)
    } catch (error) {
      this.policy.reporter.report('propagate', error)
      return false
    }
  }

  private inject(tracer: Tracer, span: Span): Readonly<Record<string, string>> {
    const carrier: Record<string, unknown> = {}
    try {
      tracer.inject(span.context(), HTTP_HEADERS, carrier)
    } catch (error) {
      this.policy.reporter.report('inject', error)
      return NO_HEADERS
    }
    // Only what a header can carry: a tracer may write numbers, objects or characters that
    // would make the HTTP client throw (and so fail the user's call) into the carrier.
    const headers: Record<string, string> = {}
    for (const key of Object.keys(carrier)) {
      const raw = carrier[key]
      const value =
        typeof raw === 'string'
          ? raw
          : typeof raw === 'number' || typeof raw === 'boolean'
            ? String(raw)
            : undefined
      const name = key.toLowerCase()
      if (value !== undefined && isHeaderName(name) && isHeaderValue(value)) {
        headers[name] = padB3Id(name, value)
      }
    }
    return headers
  }
}

/** The span of one outbound call: its propagation headers, and finish exactly once. */
export class ClientSpan {
  private finished = false

  constructor(
    /** The call's span. */
    readonly span: Span,
    /** Trace headers to set on the outbound request (lower-case names); empty when not propagated. */
    readonly headers: Readonly<Record<string, string>>,
    private readonly request: ClientRequestInfo,
    private readonly method: string,
    private readonly peer: string,
    private readonly tracing: ClientTracing,
    private readonly policy: Policy<ClientRequestInfo>,
  ) {}

  /** True once finish() ran. */
  get isFinished(): boolean {
    return this.finished
  }

  /** Records the result and finishes the span; later calls do nothing. */
  finish(result: ClientResult): void {
    if (this.finished) return
    this.finished = true
    const { policy, span, method } = this
    const options = this.tracing.options
    const { statusCode, error } = result
    const aborted = result.aborted === true
    const timedOut = result.timedOut === true
    let tags: Record<string, unknown> = {}
    let name: string | undefined
    let { request, peer } = this
    if (result.url !== undefined && String(result.url) !== String(request.url)) {
      const target = describeTarget(result.url)
      request = { method: request.method, url: result.url }
      peer = target.peer
      tags = target.tags
      name = this.tracing.nameFor(request, method, peer)
    }
    if (statusCode !== undefined) tags['http.status_code'] = statusCode
    if (aborted) tags['http.aborted'] = true
    if (timedOut) tags['http.timeout'] = true
    const fallback =
      !aborted &&
      (timedOut || error !== undefined || (statusCode !== undefined && statusCode >= 400))
    const failed = policy.decideError(options.isError, { statusCode, error }, fallback)
    if (failed) tags.error = true
    if (options.onFinish !== undefined) {
      policy.callHook('onFinish', options.onFinish, { span, request, method, peer, result })
    }
    policy.finishSpan(span, name, tags, failed ? { error, statusCode } : undefined)
  }
}

const HEADER_NAME = /^[!#$%&'*+\-.^_`|~0-9a-z]+$/
const HEADER_VALUE = /^[\t\x20-\x7e\x80-\xff]*$/
const MAX_HEADER = 8192

function isHeaderName(name: string): boolean {
  return name.length <= 256 && HEADER_NAME.test(name)
}

function isHeaderValue(value: string): boolean {
  return value.length <= MAX_HEADER && HEADER_VALUE.test(value)
}

/** Creates the client lifecycle for an adapter; `component` is its `component` tag value. */
export function createClientTracing(
  options: ClientTracingOptions = {},
  component: string,
): ClientTracing {
  return new ClientTracing(options, component)
}

// The redacted URL and peer tags of a target, and its `host:port`.
function describeTarget(url: string | URL): { peer: string; tags: Record<string, unknown> } {
  const { hostname, port } = parseHost(url)
  const tags: Record<string, unknown> = {
    'http.url': redactUrl(String(url)),
    'peer.hostname': capTag(hostname),
  }
  if (port !== '') tags['peer.port'] = Number(port)
  return { peer: `${hostname}:${port}`, tags }
}

function parseHost(url: string | URL): { hostname: string; port: string } {
  let parsed: URL
  try {
    parsed = typeof url === 'string' ? new URL(url) : url
  } catch {
    return { hostname: 'unknown', port: '' }
  }
  const hostname = parsed.hostname.startsWith('[') ? parsed.hostname.slice(1, -1) : parsed.hostname
  const port = parsed.port || defaultPort(parsed.protocol)
  return { hostname, port }
}

function defaultPort(protocol: string): string {
  if (protocol === 'https:' || protocol === 'wss:') return '443'
  if (protocol === 'http:' || protocol === 'ws:') return '80'
  return ''
}
