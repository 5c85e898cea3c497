// Trace headers on a request's config, through axios' own headers API when it is there.
import type { ClientTracing } from '@tracehop/core/adapter'
import type { InternalAxiosRequestConfig } from 'axios'

/** No headers: shared, so that an attempt that sends none allocates nothing. */
export const NO_HEADERS: Readonly<Record<string, string>> = Object.freeze({})
/** No header names. */
export const NO_NAMES: readonly string[] = Object.freeze([])

interface HeadersApi {
  get?: (name: string) => unknown
  set?: (name: string, value: string) => unknown
  delete?: (name: string) => unknown
}

/**
 * Sets `headers` on the request and removes the `stale` ones; false when headers an earlier
 * interceptor made unwritable leave the call to go out as the app made it.
 */
export function writeTraceHeaders(
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

/** The names of the headers in `sent` that `headers` still carries as they were sent. */
export function stillSent(
  headers: unknown,
  sent: Readonly<Record<string, string>>,
): readonly string[] {
  const read = headerReader(headers)
  return Object.keys(sent).filter((name) => read(name) === sent[name])
}

function setHeaders(
  config: InternalAxiosRequestConfig,
  headers: Readonly<Record<string, string>>,
  stale: readonly string[],
) {
  const target = config.headers as unknown as HeadersApi | null | undefined
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

function headerReader(headers: unknown): (name: string) => string | undefined {
  const source = (headers ?? {}) as HeadersApi & Record<string, unknown>
  return (name) => {
    try {
      const value = typeof source.get === 'function' ? source.get(name) : source[name]
      return typeof value === 'string' ? value : undefined
    } catch {
      return undefined
    }
  }
}
