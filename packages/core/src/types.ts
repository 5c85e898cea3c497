// The public types of @tracehop/core, and nothing else: every other module imports its types from
// here, so no module needs another's types and the graph stays one-way.
import type { Span, Tracer } from 'opentracing'

/** A tracer, or a function returning the tracer to use for each request. */
export type TracerOption = Tracer | (() => Tracer)

/** Requests to leave untraced: a predicate, or paths (exact) and RegExps matched on the path. */
export type IgnoreOption<Request> = ((request: Request) => boolean) | ReadonlyArray<string | RegExp>

/** Receives each failure of the tracer or of a user hook; `where` names the failing call. */
export type ErrorHandler = (error: unknown, where: string) => void

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

/** Headers as an adapter has them: Node's `req.headers`, a `Headers`, a Map, pairs or a record. */
export type HeaderSource =
  | Readonly<Record<string, string | readonly string[] | number | undefined>>
  | Iterable<readonly [string, string]>
  | { forEach(callback: (value: string, key: string) => void): void }
  | null
  | undefined

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
  /** Client address (behind a trusted proxy, the forwarded one), as `peer.ipv4` / `peer.ipv6`. */
  remoteAddress?: string | undefined
  /** The connection's peer port, as `peer.port`; only when `remoteAddress` is that peer's too. */
  remotePort?: number | undefined
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

/** An outbound request as a client adapter sees it, in plain data. */
export interface ClientRequestInfo {
  /** HTTP method, as the client sends it (its `http.request.method_original` where it differs). */
  method: string
  /** Absolute URL of the request. */
  url: string | URL
  /**
   * What the call goes out through, when the adapter knows: Node's `http` module or undici
   * (Node's `fetch`). A tracer whose own instrumentation traces that transport then takes the
   * call over (see ContextStore.tracesTransport); default: unknown, tracehop traces the call.
   */
  transport?: Transport | undefined
}

/** A transport an outbound call goes through. */
export type Transport = 'http' | 'undici'

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

/**
 * A destination that gets trace headers: an origin (`'https://api.example.com'`, compared to the
 * request URL's origin), a RegExp tested against the request URL's origin (`'https://host:port'`,
 * the port only when not the default), or a predicate on the full request URL.
 */
export type PropagateTarget = string | RegExp | ((url: string) => boolean)

/** The `propagate` option: true, false, one target or a list of them (any match propagates). */
export type PropagateOption = boolean | PropagateTarget | readonly PropagateTarget[]

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
  /**
   * Where to send trace headers: true (everywhere), false (nowhere), or targets (see
   * PropagateTarget); default: true, in a browser the page's own origin only (targets add to it).
   */
  propagate?: PropagateOption
  /** Trace only calls made while a span is active; default: false (root spans allowed). */
  requireParent?: boolean
}

/** Options of startActiveSpan. */
export interface ActiveSpanOptions {
  /** Tracer that starts the span; default: the active span's tracer, else `globalTracer()`. */
  tracer?: Tracer
  /** Tags set when the span starts; default: none. */
  tags?: Record<string, unknown>
  /** Receives tracer failures; default: a process warning, once per call site per 10 s. */
  onError?: ErrorHandler
}

/** The ids traceIds() returns. */
export interface TraceIds {
  traceId: string
  spanId: string
}

/**
 * Where the active span lives: tracehop's own AsyncLocalStorage by default, or a tracer's own
 * context (a bridge installs it with setContextStore()), so that tracehop and that tracer's
 * instrumentations see one active span.
 */
export interface ContextStore {
  /** The span active in the current async context, or undefined. */
  active(): Span | undefined
  /** Runs `fn` with `span` active, for `fn` and every async continuation it starts. */
  run<T>(span: Span, fn: () => T): T
  /**
   * True when the tracer's own instrumentation traces and propagates calls over `transport`
   * (an OpenTelemetry HTTP or undici instrumentation, say): tracehop's client adapters then leave
   * those calls to it, so a call has one client span and carries one set of trace headers.
   */
  tracesTransport?(transport: Transport): boolean
}
