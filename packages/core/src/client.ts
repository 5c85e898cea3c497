// One outbound call's span, start to finish: ClientTracing.start() starts a child of the active
// span and builds the headers that carry its context; the handle it returns finishes it once.
import { FORMAT_HTTP_HEADERS, type Span, type Tracer } from 'opentracing'
import { isHeaderName, isHeaderValue, padB3Id } from './carrier.js'
import { activeSpan, tracerTracesTransport } from './context.js'
import { warn, withUrlsRedacted } from './errors.js'
import { Guard } from './guard.js'
import type { Page } from './page.js'
import { propagationRule, type PropagationRule } from './propagation.js'
import { absoluteUrl, describeTarget, givenUrls, parseUrl } from './target.js'
import type { ClientRequestInfo, ClientResult, ClientTracingOptions, Transport } from './types.js'
import {
  capTag,
  ignoreRule,
  methodInName,
  normalizeMethod,
  pathOf,
  type IgnoreRule,
} from './url.js'

const NO_HEADERS: Readonly<Record<string, string>> = Object.freeze({})
const NETWORK_SCHEMES = new Set(['http:', 'https:', 'ws:', 'wss:'])

// What every handle of one ClientTracing shares, made once.
interface ClientSettings {
  readonly guard: Guard
  readonly options: ClientTracingOptions
  readonly page: Page | undefined
}

/** Starts one client span per outbound call; adapters call start() per request. */
export class ClientTracing {
  private readonly settings: ClientSettings
  private readonly ignore: IgnoreRule<ClientRequestInfo> | undefined
  private readonly propagates: PropagationRule

  /** `page`: the browser page the calls are made from (browser builds), else undefined. */
  constructor(
    /** The `component` tag of its spans. */
    readonly component: string,
    options: ClientTracingOptions = {},
    page?: Page,
  ) {
    const guard = new Guard(options.onError)
    this.settings = { guard, options, page }
    this.ignore = ignoreRule(options.ignore)
    this.propagates = propagationRule(options.propagate, guard, page?.origin)
  }

  /**
   * Starts the span of `request` as a child of `parent`; undefined when not traced (ignored, no
   * parent with `requireParent`, the tracer failed, or its own instrumentation of the request's
   * transport traces the call). `parent`: the span that was active where the app made the call,
   * for an adapter that starts the span later (null: none was); default: the active span.
   */
  start(request: ClientRequestInfo, parent?: Span | null): ClientSpanHandle | undefined {
    const { settings, ignore } = this
    const { guard, options } = settings
    const url = absoluteUrl(settings.page, request.url)
    // In a page, the hooks see a relative URL resolved, as the HTTP client resolves it.
    const info = url === request.url ? request : { ...request, url }
    const parsed = parseUrl(url)
    // As the HTTP client reads it (tabs and newlines gone, `http:host` given its slashes), so that
    // what is redacted or ignored is what is sent.
    const href = parsed?.href ?? String(url)
    if (ignore !== undefined && guard.ignores(ignore, info, pathOf(href))) return undefined
    // The tracer's own instrumentation of this transport makes the client span and injects.
    const transport = request.transport
    // No transport is anyone else's to trace in a page.
    if (
      !globalThis.__TRACEHOP_BROWSER__ &&
      transport !== undefined &&
      tracerTracesTransport(transport)
    ) {
      warnPropagateUnheld(this, options.propagate, transport)
      return undefined
    }
    const parentSpan = parent === undefined ? activeSpan() : (parent ?? undefined)
    if (parentSpan === undefined && options.requireParent === true) return undefined
    const tracer = guard.tracer(options.tracer)
    if (tracer === undefined) return undefined
    const method = normalizeMethod(request.method)
    // A data: or blob: URL is read in place: no peer, no request, nothing to trace.
    if (parsed !== undefined && !NETWORK_SCHEMES.has(parsed.protocol)) return undefined
    const target = describeTarget(href, parsed)
    const tags: Record<string, unknown> = {
      'span.kind': 'client',
      component: this.component,
      'http.method': method,
      ...target.tags,
    }
    // As OpenTelemetry's conventions say: the method as sent, whenever the tag says it otherwise.
    if (method !== request.method && request.method) {
      tags['http.request.method_original'] = capTag(request.method)
    }
    const parentContext = parentSpan === undefined ? undefined : guard.context(parentSpan)
    const name = nameFor(settings, info, method, target.peer)
    const span = guard.startSpan(tracer, name, tags, parentContext)
    if (span === undefined) return undefined
    const headers = this.propagates(href, parsed) ? this.inject(tracer, span) : NO_HEADERS
    const peer = target.peer
    if (options.onStart !== undefined) {
      guard.call('onStart', options.onStart, { span, request: info, method, peer }, undefined)
    }
    return new ClientSpanHandle(span, headers, info, request.url, method, peer, settings)
  }

  /**
   * The span active now (null: none), for an adapter that starts a call's span later than the app
   * makes the call, to pass to start() then.
   */
  callerSpan(): Span | null {
    return activeSpan() ?? null
  }

  /**
   * Whether the `propagate` rule lets trace headers go to `url` (relative: the page's), for an
   * adapter whose call may be sent elsewhere after its span started.
   */
  propagatesTo(url: string): boolean {
    const absolute = absoluteUrl(this.settings.page, url) as string
    return this.propagates(absolute, parseUrl(absolute))
  }

  /** Reports a failure of the adapter's own glue through `onError` (once per site per 10 s). */
  report(where: string, error: unknown): void {
    this.settings.guard.report(where, error)
  }

  private inject(tracer: Tracer, span: Span): Readonly<Record<string, string>> {
    const carrier: Record<string, unknown> = {}
    if (!this.settings.guard.inject(tracer, span, FORMAT_HTTP_HEADERS, carrier)) return NO_HEADERS
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
        // jaeger-client, which writes B3 ids short, runs in Node only.
        headers[name] = globalThis.__TRACEHOP_BROWSER__ ? value : padB3Id(name, value)
      }
    }
    return headers
  }
}

/** What an adapter holds for one outbound call: its span, its trace headers, finish once. */
export class ClientSpanHandle {
  private finished = false

  /** Made by ClientTracing.start(). */
  constructor(
    /** The call's span. */
    readonly span: Span,
    /** Trace headers to set on the outbound request (lower-case names); empty when not propagated. */
    readonly headers: Readonly<Record<string, string>>,
    private readonly request: ClientRequestInfo,
    // The URL as the app gave it (relative, in a page): its errors may say it so.
    private readonly givenUrl: string | URL,
    private readonly method: string,
    private readonly peer: string,
    private readonly settings: ClientSettings,
  ) {}

  /** True once finish() ran. */
  get isFinished(): boolean {
    return this.finished
  }

  /** Records the result and finishes the span; later calls do nothing. */
  finish(result: ClientResult): void {
    if (this.finished) return
    this.finished = true
    const { guard, options } = this.settings
    const { span, method } = this
    const { statusCode, error } = result
    const aborted = result.aborted === true
    const timedOut = result.timedOut === true
    let tags: Record<string, unknown> = {}
    let name: string | undefined
    let { request, peer } = this
    const finalUrl =
      result.url === undefined ? undefined : absoluteUrl(this.settings.page, result.url)
    if (finalUrl !== undefined && String(finalUrl) !== String(request.url)) {
      const parsed = parseUrl(finalUrl)
      const target = describeTarget(parsed?.href ?? String(finalUrl), parsed)
      request = { method: request.method, url: finalUrl }
      peer = target.peer
      tags = target.tags
      name = nameFor(this.settings, request, method, peer)
    }
    if (statusCode !== undefined) tags['http.status_code'] = statusCode
    if (aborted) tags['http.aborted'] = true
    if (timedOut) tags['http.timeout'] = true
    const failedByDefault =
      !aborted &&
      (timedOut || error !== undefined || (statusCode !== undefined && statusCode >= 400))
    const failed =
      options.isError === undefined
        ? failedByDefault
        : guard.call('isError', options.isError, { statusCode, error }, failedByDefault)
    if (options.onFinish !== undefined) {
      const state = { span, request, method, peer, result }
      guard.call('onFinish', options.onFinish, state, undefined)
    }
    // An HTTP client writes the URL it was given into its errors (Node's fetch does), where
    // redaction of the tags alone would leave the credentials and secrets it took out.
    const recorded =
      error === undefined
        ? undefined
        : withUrlsRedacted(error, givenUrls(this.settings.page, this.givenUrl, result.url))
    guard.finishSpan(span, name, tags, failed ? { error: recorded, statusCode } : undefined)
  }
}

/** Creates the client lifecycle for an adapter; `component` is its `component` tag value. */
export function createClientTracing(
  component: string,
  options: ClientTracingOptions = {},
): ClientTracing {
  return new ClientTracing(component, options)
}

// The instrumentation injects into every call it traces, whatever `propagate` says: an app that
// limits where trace headers go must hear, once per client, that the limit does not hold there.
const warnedUnheld = new WeakSet<ClientTracing>()

function warnPropagateUnheld(
  client: ClientTracing,
  propagate: ClientTracingOptions['propagate'],
  transport: Transport,
): void {
  if (propagate === undefined || propagate === true || warnedUnheld.has(client)) return
  warnedUnheld.add(client)
  warn(
    'TRACEHOP_PROPAGATE_UNHELD',
    `tracehop: ${client.component}'s propagate option does not hold for calls over ${transport}: ` +
      "the tracer's own instrumentation traces them and sends their trace headers (see its " +
      'ignoreOutgoingRequestHook or ignoreRequestHook)',
  )
}

// The operation name of a call to `peer`.
function nameFor(
  settings: ClientSettings,
  request: ClientRequestInfo,
  method: string,
  peer: string,
): string {
  const fallback = `${methodInName(method)} ${peer}`
  const operationName = settings.options.operationName
  if (operationName === undefined) return fallback
  const state = { span: undefined, request, method, peer }
  return settings.guard.name(operationName, state, fallback)
}
