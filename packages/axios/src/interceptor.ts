import {
  createClientTracing,
  type ClientResult,
  type ClientSpanHandle,
  type ClientTracing,
  type ClientTracingOptions,
  type Transport,
} from '@tracehop/core/adapter'
import type { AxiosError, AxiosInstance, AxiosResponse, InternalAxiosRequestConfig } from 'axios'
import type { Span } from 'opentracing'
import { CancellableCalls } from './cancel-tokens.js'
import { OpenCalls } from './open-calls.js'

/** Options of registerTracingInterceptor: the client policy options of @tracehop/core. */
export type AxiosTracingOptions = ClientTracingOptions

// The span active where the app called axios (null: none was). axios runs request interceptors
// later, on a promise; in a page, which has no AsyncLocalStorage, the span made active for the
// call is no longer active then. axios asks each interceptor's `runWhen` during the call itself.
const CALLER_SPAN = Symbol('tracehop.axios.callerSpan')
type CallerConfig = InternalAxiosRequestConfig & { [CALLER_SPAN]?: Span | null | undefined }

// What an attempt leaves on its config, under a string key: a copy of the config made by another
// interceptor keeps it, and axios copies it when a retry re-sends the config. It says which
// attempt the config was sent as, and the trace headers it carried, which the next attempt
// replaces or removes while leaving any the app set itself.
const MARK = 'tracehop'
interface Mark {
  attempt: number
  sent: Readonly<Record<string, string>>
}

/** What the request interceptor saw, to tell at the end whether a later one changed the URL. */
interface Attempt {
  id: number
  call: ClientSpanHandle
  url: string
  config: { url: string | undefined; baseURL: string | undefined; params: unknown }
  // Watching the call's CancelToken (see CancellableCalls).
  cancellable: WeakRef<InternalAxiosRequestConfig> | undefined
}

const NO_HEADERS: Readonly<Record<string, string>> = Object.freeze({})

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
  return installInterceptors(instance, options, transportOf)
}

/** registerTracingInterceptor() with `transportOf` telling what a request goes out through. */
export function installInterceptors(
  instance: AxiosInstance,
  options: AxiosTracingOptions,
  transportOf: (adapter: InternalAxiosRequestConfig['adapter']) => Transport | undefined,
): () => void {
  const tracing = createClientTracing('axios', options)
  const attempts = new WeakMap<InternalAxiosRequestConfig, Attempt>()
  const open = new OpenCalls()

  let lastAttempt = 0

  const settle = (config: InternalAxiosRequestConfig | undefined, result: ClientResult) => {
    const attempt = config === undefined ? undefined : attempts.get(config)
    // A config copied by another interceptor still says which attempt it was sent as.
    const id = attempt?.id ?? markOf(config)?.attempt
    const call = attempt?.call ?? (id === undefined ? undefined : open.get(id))
    if (call === undefined || id === undefined) return
    if (config !== undefined) attempts.delete(config)
    if (config !== undefined && attempt?.cancellable !== undefined) {
      cancellable.forget(config, attempt.cancellable)
    }
    open.forget(id, call)
    call.finish({ ...result, url: finalUrl(instance, attempt, config) })
  }
  const cancellable = new CancellableCalls((config, reason) =>
    settle(config, { error: reason, aborted: true }),
  )

  // axios's own merged config, a plain object: it takes the property (Reflect.set: a frozen
  // config refuses it without a throw).
  const rememberCaller = (config: InternalAxiosRequestConfig): boolean => {
    Reflect.set(config, CALLER_SPAN, tracing.callerSpan())
    return true
  }

  const startSpan = function tracehopStartSpan(config: InternalAxiosRequestConfig) {
    const caller = (config as CallerConfig)[CALLER_SPAN]
    // Not kept past the call's start: a response keeps its config, and the span need not live on.
    if (caller !== undefined) Reflect.set(config, CALLER_SPAN, undefined)
    // A retry re-sends its config as the attempt before left it; if that one's result never
    // reached us, it is finished now.
    const before = markOf(config)
    const previous = before === undefined ? undefined : open.get(before.attempt)
    if (previous !== undefined && before !== undefined) {
      open.forget(before.attempt, previous)
      previous.finish({ error: new Error('superseded by a retry before its result was seen') })
    }
    const url = fullUrl(instance, config)
    const transport = transportOf(config.adapter)
    const call =
      url === undefined
        ? undefined
        : tracing.start({ method: config.method ?? 'get', url, transport }, caller)
    const headers = call?.headers ?? NO_HEADERS
    // This attempt's headers replace the earlier attempt's; those it does not send (all of them
    // for an origin `propagate` does not allow) go.
    const stale = before === undefined ? NO_NAMES : stillSent(config, before.sent)
    let sent = NO_HEADERS
    if (Object.keys(headers).length > 0 || stale.length > 0) {
      if (writeTraceHeaders(tracing, config, headers, stale)) sent = headers
    }
    if (call === undefined || url === undefined) {
      if (before !== undefined) Reflect.set(config, MARK, undefined)
      return config
    }
    const id = ++lastAttempt
    Reflect.set(config, MARK, { attempt: id, sent } satisfies Mark)
    open.add(id, call)
    const attempt: Attempt = {
      id,
      call,
      url,
      config: { url: config.url, baseURL: config.baseURL, params: config.params },
      cancellable: undefined,
    }
    attempts.set(config, attempt)
    // Last: a token cancelled already settles the call at once.
    attempt.cancellable = cancellable.watch(config)
    return config
  }
  const requestId = instance.interceptors.request.use(startSpan, undefined, {
    runWhen: rememberCaller,
  })

  const responseId = instance.interceptors.response.use(
    function tracehopFinishSpan(response: AxiosResponse) {
      settle(response.config, { statusCode: response.status })
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
  }
}

// Sets `headers` on the request and removes the `stale` ones; false when headers an earlier
// interceptor made unwritable leave the call to go out as the app made it.
function writeTraceHeaders(
  tracing: ClientTracing,
  config: InternalAxiosRequestConfig,
  headers: Readonly<Record<string, string>>,
  stale: readonly string[],
): boolean {
  try {
    setHeaders(config, headers, stale)
    return true
  } catch (error) {
    tracing.report('axios headers', error)
    return false
  }
}

// In Node, axios's default adapter list picks Node's http module; 'fetch' goes through undici.
function transportOf(adapter: InternalAxiosRequestConfig['adapter']): Transport | undefined {
  if (adapter === undefined || adapter === 'http') return 'http'
  if (adapter === 'fetch') return 'undici'
  if (Array.isArray(adapter) && adapter.includes('http')) return 'http'
  return undefined
}

function describeFailure(axiosError: Partial<AxiosError> | null, error: unknown): ClientResult {
  const statusCode = axiosError?.response?.status
  // A response arrived: its status tells the failure, as it does for fetch; the AxiosError that
  // axios made of it is no error of the transport.
  if (statusCode !== undefined) return { statusCode }
  const code = axiosError?.code
  const name = (error as { name?: unknown } | null)?.name
  if (code === 'ERR_CANCELED' || name === 'CanceledError') return { error, aborted: true }
  const timedOut =
    code === 'ETIMEDOUT' || (code === 'ECONNABORTED' && /timeout/i.test(axiosError?.message ?? ''))
  return { error, timedOut }
}

function fullUrl(instance: AxiosInstance, config: InternalAxiosRequestConfig): string | undefined {
  const plain = plainUrl(config)
  if (plain !== undefined) return plain
  try {
    return instance.getUri(config)
  } catch {
    return undefined
  }
}

const HTTP_URL = /^https?:\/\//i

// getUri() merges the config with the instance defaults again (costly, see bench/README.md), but the
// config an interceptor sees is merged already. Without params, axios's URL is the request URL,
// joined to baseURL when relative (its buildFullPath and combineURLs): computed here for the
// plain shapes (an http(s) URL, or a path under an http(s) baseURL); getUri() decides the rest.
function plainUrl(config: InternalAxiosRequestConfig): string | undefined {
  const { url, baseURL } = config
  if (config.params || (url !== undefined && typeof url !== 'string')) return undefined
  const absolute = url !== undefined && HTTP_URL.test(url)
  if (absolute && (!baseURL || config.allowAbsoluteUrls !== false)) return url
  // `//host/path` is absolute to axios too (protocol-relative): getUri() says where it goes.
  if (url !== undefined && !absolute && (!url.startsWith('/') || url.startsWith('//'))) {
    return undefined
  }
  if (typeof baseURL !== 'string' || !HTTP_URL.test(baseURL)) return undefined
  if (!url) return baseURL
  let end = baseURL.length
  while (end > 0 && baseURL.charCodeAt(end - 1) === SLASH) end--
  let start = 0
  while (start < url.length && url.charCodeAt(start) === SLASH) start++
  return `${baseURL.slice(0, end)}/${url.slice(start)}`
}

const SLASH = 47

// getUri() is costly: computed again only when a later interceptor changed its inputs.
function finalUrl(
  instance: AxiosInstance,
  attempt: Attempt | undefined,
  config: InternalAxiosRequestConfig | undefined,
): string | undefined {
  if (config === undefined) return attempt?.url
  const before = attempt?.config
  if (
    before !== undefined &&
    before.url === config.url &&
    before.baseURL === config.baseURL &&
    before.params === config.params
  ) {
    return attempt?.url
  }
  return fullUrl(instance, config) ?? attempt?.url
}

function setHeaders(
  config: InternalAxiosRequestConfig,
  headers: Readonly<Record<string, string>>,
  stale: readonly string[],
) {
  const target = config.headers as unknown as {
    set?: (name: string, value: string) => unknown
    delete?: (name: string) => unknown
  }
  if (
    target !== null &&
    typeof target === 'object' &&
    typeof target.set === 'function' &&
    typeof target.delete === 'function'
  ) {
    for (const name of stale) if (!(name in headers)) target.delete(name)
    for (const [name, value] of Object.entries(headers)) target.set(name, value)
    return
  }
  // A plain object an interceptor put there (maybe the caller's own, maybe frozen): a copy with
  // any spelling of the trace headers replaced, never an edit of it.
  const copy: Record<string, unknown> = {}
  for (const [key, value] of Object.entries(config.headers ?? {})) {
    const name = key.toLowerCase()
    if (!(name in headers) && !stale.includes(name)) copy[key] = value
  }
  config.headers = Object.assign(copy, headers) as unknown as InternalAxiosRequestConfig['headers']
}

// The mark an earlier attempt left on `config`, if it is one (anything else there is ignored).
function markOf(config: InternalAxiosRequestConfig | undefined): Mark | undefined {
  const mark = (config as Record<string, unknown> | undefined)?.[MARK] as Partial<Mark> | undefined
  if (mark === null || typeof mark !== 'object' || typeof mark.attempt !== 'number')
    return undefined
  const sent = mark.sent
  return sent !== null && typeof sent === 'object' ? (mark as Mark) : undefined
}

// The names of the headers in `sent` that the config still carries as they were sent.
function stillSent(
  config: InternalAxiosRequestConfig,
  sent: Readonly<Record<string, string>>,
): readonly string[] {
  const read = readHeaders(config)
  return Object.keys(sent).filter((name) => read(name) === sent[name])
}

const NO_NAMES: readonly string[] = []

function readHeaders(config: InternalAxiosRequestConfig): (name: string) => string | undefined {
  const source = (config.headers ?? {}) as unknown as {
    get?: (name: string) => unknown
  } & Record<string, unknown>
  return (name) => {
    try {
      const value = typeof source.get === 'function' ? source.get(name) : source[name]
      return typeof value === 'string' ? value : undefined
    } catch {
      return undefined
    }
  }
}
