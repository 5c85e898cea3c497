import {
  createClientTracing,
  type ClientResult,
  type ClientTracing,
  type ClientTracingOptions,
  type Transport,
} from '@tracehop/core/adapter'
import type { AxiosError, AxiosInstance, AxiosResponse, InternalAxiosRequestConfig } from 'axios'
import type { Span } from 'opentracing'
import {
  AttemptMark,
  carriesMarkOf,
  MARK,
  markOf,
  ParentRefs,
  parentOf,
  type Attempt,
} from './attempt.js'
import { CancellableCalls } from './cancel-tokens.js'
import { NO_HEADERS, NO_NAMES, stillSent, writeTraceHeaders } from './headers.js'
import { OpenCalls } from './open-calls.js'
import { hookDispatch } from './dispatch-hook.js'
import { guardRedirects } from './redirects.js'
import { finalUrl, fullUrl, sameUrlInputs, urlInputsOf } from './urls.js'

/** Options of registerTracingInterceptor: the client policy options of @tracehop/core. */
export type AxiosTracingOptions = ClientTracingOptions

type Config = InternalAxiosRequestConfig

// The span active where the app called axios (null: none was). axios runs request interceptors
// later, on a promise; in a page, which has no AsyncLocalStorage, the span made active for the
// call is no longer active then. axios asks each interceptor's `runWhen` during the call itself.
const CALLER_SPAN = Symbol('tracehop.axios.callerSpan')
type CallerConfig = Config & { [CALLER_SPAN]?: Span | null | undefined }

/**
 * Installs a request and a response interceptor on `instance` (the default axios export or one
 * from `axios.create()`): each request becomes a client span, child of the active span, whose
 * context travels in the request headers. Returns a function that removes both interceptors.
 * Register it before your own interceptors so it sees every attempt's raw result.
 *
 * @example const unregister = registerTracingInterceptor(axios, { propagate: isInternal })
 */
export function registerTracingInterceptor(
  instance: AxiosInstance,
  options: AxiosTracingOptions = {},
): () => void {
  return installInterceptors(instance, options, transportOf, guardRedirects)
}

/**
 * registerTracingInterceptor() with `transportOf` telling what a request goes out through, and
 * `onCallStart` setting up what a call needs once its trace headers are written (the mark is
 * undefined for a call that has none): Node's guard on redirects, left out of the browser build,
 * where the browser follows redirects out of tracehop's reach.
 */
export function installInterceptors(
  instance: AxiosInstance,
  options: AxiosTracingOptions,
  transportOf: (adapter: Config['adapter']) => Transport | undefined,
  onCallStart?: (tracing: ClientTracing, config: Config, mark: AttemptMark | undefined) => void,
): () => void {
  const tracing = createClientTracing('axios', options)
  const attempts = new WeakMap<Config, Attempt>()
  const open = new OpenCalls()
  const parents = new ParentRefs()

  let lastAttempt = 0

  const finish = (attempt: Attempt, config: Config | undefined, result: ClientResult) => {
    if (config !== undefined) attempts.delete(config)
    if (config !== undefined && attempt.cancellable !== undefined) {
      cancellable.forget(config, attempt.cancellable)
    }
    open.forget(attempt)
    attempt.call.finish({ ...result, url: finalUrl(instance, attempt, config) })
  }
  // A config copied by another interceptor still says which attempt it was sent as.
  const attemptOf = (config: Config | undefined): Attempt | undefined => {
    if (config === undefined) return undefined
    const known = attempts.get(config)
    if (known !== undefined) return known
    const mark = markOf(config)
    const attempt = mark === undefined ? undefined : open.get(mark.attempt)
    // Each registration numbers its own attempts: the mark must be the one this attempt left.
    return attempt?.mark === mark ? attempt : undefined
  }
  const settle = (config: Config | undefined, result: ClientResult) => {
    if (config === undefined) open.resultUnnamed()
    const attempt = attemptOf(config)
    if (attempt !== undefined) finish(attempt, config, result)
  }
  const cancellable = new CancellableCalls((config, reason) =>
    settle(config, { error: reason, aborted: true }),
  )

  // A request interceptor that runs after ours (one registered before it) may send the call
  // elsewhere, a baseURL of another origin say: the trace headers go unless `propagate` allows
  // them there too. The span's URL is read again when it finishes. The hook also sees the calls
  // of instances made from this one with create() after it was registered, numbered by another
  // registration: those carry another mark.
  const checkDestination = (config: Config) => {
    const attempt = attemptOf(config)
    if (attempt === undefined || !carriesMarkOf(attempt, config)) return
    if (attempt.mark.sent === NO_HEADERS || sameUrlInputs(attempt.urlInputs, config)) return
    const url = fullUrl(instance, config)
    if (url !== undefined && tracing.propagatesTo(url)) return
    const stale = stillSent(config.headers, attempt.mark.sent)
    if (writeTraceHeaders(tracing, config, NO_HEADERS, stale)) attempt.mark.sent = NO_HEADERS
  }
  // It must not throw: the call would fail, or with another error than its own.
  const dispatch = hookDispatch(instance, (config) => {
    try {
      checkDestination(config)
    } catch (error) {
      tracing.report('axios dispatch', error)
    }
  })

  // axios's own merged config, a plain object: it takes the property (Reflect.set: a frozen
  // config refuses it without a throw).
  const rememberCaller = (config: Config): boolean => {
    Reflect.set(config, CALLER_SPAN, tracing.callerSpan())
    return true
  }

  const startSpan = function tracehopStartSpan(config: Config) {
    const caller = (config as CallerConfig)[CALLER_SPAN]
    // Not kept past the call's start: a response keeps its config, and the span need not live on.
    if (caller !== undefined) Reflect.set(config, CALLER_SPAN, undefined)
    // A retry re-sends its config as the attempt before left it; if that one's result never
    // reached us, it is finished now.
    const before = markOf(config)
    const previous = before === undefined ? undefined : open.get(before.attempt)
    // Only this registration's own attempt: another instance's config, re-sent through this one
    // (a token refresh's `return axios(error.config)`), carries a number of its own numbering.
    if (previous !== undefined && previous.mark === before) {
      finish(previous, undefined, {
        error: new Error('superseded by a retry before its result was seen'),
      })
    }
    // Where a span is active, it is the parent. A retry that re-sends its config from a promise
    // callback in a page has none active: it stays in the trace of the call's first attempt.
    const parent =
      (caller === undefined ? tracing.callerSpan() : caller) ?? parentOf(before) ?? null
    const url = fullUrl(instance, config)
    const transport = transportOf(config.adapter)
    const call =
      url === undefined
        ? undefined
        : tracing.start({ method: methodAsSent(config.method), url, transport }, parent)
    const headers = call?.headers ?? NO_HEADERS
    const carries = Object.keys(headers).length > 0
    // This attempt's headers replace the earlier attempt's; those it does not send (all of them
    // for an origin `propagate` does not allow) go.
    const stale = before === undefined ? NO_NAMES : stillSent(config.headers, before.sent)
    let sent = NO_HEADERS
    if (carries || stale.length > 0) {
      if (writeTraceHeaders(tracing, config, headers, stale) && carries) sent = headers
    }
    if (call === undefined || url === undefined) {
      if (before !== undefined) Reflect.set(config, MARK, undefined)
      onCallStart?.(tracing, config, undefined)
      return config
    }
    const id = ++lastAttempt
    const mark = new AttemptMark(id, sent, parents.refTo(parent ?? undefined))
    Reflect.set(config, MARK, mark)
    onCallStart?.(tracing, config, mark)
    const urlInputs = urlInputsOf(config)
    const attempt: Attempt = { id, call, mark, url, urlInputs, cancellable: undefined }
    open.add(attempt)
    attempts.set(config, attempt)
    dispatch.cover(config)
    // Last: a token cancelled already settles the call at once.
    attempt.cancellable = cancellable.watch(config)
    return config
  }
  const requestId = instance.interceptors.request.use(startSpan, undefined, {
    runWhen: rememberCaller,
  })

  const responseId = instance.interceptors.response.use(
    function tracehopFinishSpan(response: AxiosResponse) {
      // An earlier interceptor may have answered anything instead (`response.data`, a null).
      const answer = response as Partial<AxiosResponse> | null | undefined
      settle(answer?.config, { statusCode: answer?.status })
      return response
    },
    function tracehopFinishFailedSpan(error: unknown) {
      const axiosError = error as Partial<AxiosError> | null
      settle(axiosError?.config, describeFailure(axiosError, error))
      // The caller gets the very value axios rejected with, whatever it is: never a copy.
      // eslint-disable-next-line @typescript-eslint/prefer-promise-reject-errors
      return Promise.reject(error)
    },
  )

  let registered = true
  return function unregisterTracingInterceptor(): void {
    if (!registered) return
    registered = false
    instance.interceptors.request.eject(requestId)
    instance.interceptors.response.eject(responseId)
    dispatch.restore()
  }
}

// What a call goes out through in Node: axios uses the first adapter of the list that this
// environment has ('xhr' needs XMLHttpRequest, which Node lacks; 'fetch' is undici's). An adapter
// function of the app's own may send it any way.
function transportOf(adapter: Config['adapter']): Transport | undefined {
  if (adapter === undefined) return 'http'
  for (const entry of Array.isArray(adapter) ? adapter : [adapter]) {
    if (typeof entry !== 'string') {
      if (typeof entry === 'function') return undefined
      continue // null or false: axios skips it
    }
    const name = entry.toLowerCase()
    if (name === 'xhr' && !hasXMLHttpRequest()) continue
    return name === 'http' ? 'http' : name === 'fetch' ? 'undici' : undefined
  }
  return undefined
}

// axios offers its xhr adapter only where XMLHttpRequest exists: in Node, where a polyfill adds it.
function hasXMLHttpRequest(): boolean {
  return typeof (globalThis as { XMLHttpRequest?: unknown }).XMLHttpRequest !== 'undefined'
}

// Every axios adapter sends the method in upper case.
function methodAsSent(method: string | undefined): string {
  return typeof method === 'string' ? method.toUpperCase() : 'GET'
}

function describeFailure(axiosError: Partial<AxiosError> | null, error: unknown): ClientResult {
  const statusCode = axiosError?.response?.status
  // A response arrived: its status tells the failure, as it does for fetch; the AxiosError that
  // axios made of it is no error of the transport.
  if (statusCode !== undefined) return { statusCode }
  const code = axiosError?.code
  const name = (error as { name?: unknown } | null)?.name
  if (code === 'ERR_CANCELED' || name === 'CanceledError') return { error, aborted: true }
  // ETIMEDOUT with `transitional.clarifyTimeoutError`; else ECONNABORTED, which an abort is too:
  // axios's own message names the timeout, and the config's `timeoutErrorMessage` replaces it.
  const message = axiosError?.message ?? ''
  const ownMessage = axiosError?.config?.timeoutErrorMessage
  const timedOut =
    code === 'ETIMEDOUT' ||
    (code === 'ECONNABORTED' &&
      (/timeout/i.test(message) || (!!ownMessage && message === ownMessage)))
  return { error, timedOut }
}
