import {
  createClientTracing,
  type ClientResult,
  type ClientSpan,
  type ClientTracingOptions,
} from '@tracehop/core'
import type { AxiosError, AxiosInstance, AxiosResponse, InternalAxiosRequestConfig } from 'axios'

/** Options of registerTracingInterceptor: the client policy options of @tracehop/core. */
export type AxiosTracingOptions = ClientTracingOptions

// Spans whose attempt an earlier-registered response interceptor may have hidden from ours (it
// retried, or turned the error into a value). A retry is recognised by the trace headers it
// carries over; a hidden result is given up on once this many calls are pending.
const MAX_PENDING = 10_000

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
  const tracing = createClientTracing(options, 'axios')
  const calls = new WeakMap<InternalAxiosRequestConfig, ClientSpan>()
  const pending = new Map<string, ClientSpan>()

  const settle = (config: InternalAxiosRequestConfig | undefined, result: ClientResult) => {
    const call = config === undefined ? undefined : calls.get(config)
    if (call === undefined) return
    calls.delete(config as InternalAxiosRequestConfig)
    forget(pending, call)
    call.finish({ ...result, url: fullUrl(instance, config as InternalAxiosRequestConfig) })
  }

  const requestId = instance.interceptors.request.use(function tracehopStartSpan(config) {
    const url = fullUrl(instance, config)
    if (url === undefined) return config
    const call = tracing.start({ method: config.method ?? 'get', url })
    if (call === undefined) return config
    calls.set(config, call)
    const names = Object.keys(call.headers)
    if (names.length > 0) {
      // A retry re-sends its config with the previous attempt's trace headers.
      const previous = pending.get(headerKey(readHeaders(config, names)))
      if (previous !== undefined) {
        forget(pending, previous)
        previous.finish({ error: new Error('superseded by a retry before its result was seen') })
      }
      setHeaders(config, call.headers)
      pending.set(headerKey(call.headers), call)
      if (pending.size > MAX_PENDING) giveUpOldest(pending)
    }
    return config
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

function describeFailure(axiosError: Partial<AxiosError> | null, error: unknown): ClientResult {
  const statusCode = axiosError?.response?.status
  const code = axiosError?.code
  const name = (error as { name?: unknown } | null)?.name
  if (code === 'ERR_CANCELED' || name === 'CanceledError') return { error, aborted: true }
  const timedOut =
    code === 'ETIMEDOUT' || (code === 'ECONNABORTED' && /timeout/i.test(axiosError?.message ?? ''))
  return { error, statusCode, timedOut }
}

function fullUrl(instance: AxiosInstance, config: InternalAxiosRequestConfig): string | undefined {
  try {
    return instance.getUri(config)
  } catch {
    return undefined
  }
}

function setHeaders(config: InternalAxiosRequestConfig, headers: Readonly<Record<string, string>>) {
  const target = config.headers as unknown as {
    set?: (name: string, value: string) => unknown
  } & Record<string, unknown>
  for (const [name, value] of Object.entries(headers)) {
    if (typeof target.set === 'function') {
      target.set(name, value)
    } else {
      // A plain object from an interceptor that replaced the headers: replace any spelling.
      for (const key of Object.keys(target)) {
        if (key.toLowerCase() === name) Reflect.deleteProperty(target, key)
      }
      target[name] = value
    }
  }
}

function readHeaders(config: InternalAxiosRequestConfig, names: readonly string[]) {
  const source = config.headers as unknown as {
    get?: (name: string) => unknown
  } & Record<string, unknown>
  const values: Record<string, string> = {}
  for (const name of names) {
    const value = typeof source.get === 'function' ? source.get(name) : source[name]
    values[name] = typeof value === 'string' ? value : ''
  }
  return values
}

function headerKey(headers: Readonly<Record<string, string>>): string {
  return Object.values(headers).join('\n')
}

function forget(pending: Map<string, ClientSpan>, call: ClientSpan): void {
  const key = headerKey(call.headers)
  if (pending.get(key) === call) pending.delete(key)
}

function giveUpOldest(pending: Map<string, ClientSpan>): void {
  const [key, call] = pending.entries().next().value as [string, ClientSpan]
  pending.delete(key)
  call.finish({ error: new Error('its result never reached the tracing interceptor') })
}
