// Trace headers on the redirects axios's http adapter follows. It follows them with
// follow-redirects, which sends the request's headers again, custom ones included, to whatever
// origin a redirect names: `propagate` is applied to each of those hops here, through the
// `beforeRedirect` hook of the request's config. axios's fetch and xhr adapters never call it.
import type { ClientTracing } from '@tracehop/core/adapter'
import type { InternalAxiosRequestConfig } from 'axios'
import type { Mark } from './attempt.js'

type Config = InternalAxiosRequestConfig
type BeforeRedirect = NonNullable<Config['beforeRedirect']>

/** What follow-redirects' options tell of the next hop, once they point to it. */
interface RedirectOptions {
  headers?: Record<string, unknown>
  protocol?: unknown
  hostname?: unknown
  port?: unknown
  path?: unknown
  href?: unknown
}

// tracehop's hooks, each with the hook it wraps (the app's own, or none).
const wrappedHooks = new WeakMap<BeforeRedirect, BeforeRedirect | undefined>()

/**
 * Sets `config.beforeRedirect` so that every redirect the call follows sends the trace headers of
 * `mark` only where `propagate` allows them, and still calls the app's own hook. A retry's config
 * carries the previous attempt's hook: it is replaced, or taken off for a call that sends no trace
 * header (no mark, or one that sent none).
 */
export function guardRedirects(
  tracing: ClientTracing,
  config: Config,
  mark: Mark | undefined,
): void {
  const current = config.beforeRedirect
  const appHook =
    current !== undefined && wrappedHooks.has(current) ? wrappedHooks.get(current) : current
  if (mark === undefined || Object.keys(mark.sent).length === 0) {
    if (appHook !== current) Reflect.set(config, 'beforeRedirect', appHook)
    return
  }
  // The app's hook first: it may point the redirect elsewhere, and tracehop decides on the hop
  // that is really sent, as it does at dispatch after every interceptor.
  const hook: BeforeRedirect = function tracehopBeforeRedirect(options, response, request) {
    appHook?.(options, response, request)
    try {
      // `sent` is read now: it is emptied when the headers were taken off at dispatch.
      sendTraceHeadersIfPropagated(tracing, options as RedirectOptions, mark.sent)
    } catch (error) {
      tracing.report('axios redirect', error)
    }
  }
  wrappedHooks.set(hook, appHook)
  Reflect.set(config, 'beforeRedirect', hook)
}

/**
 * Takes the trace headers tracehop sent off a hop that `propagate` does not allow, and puts them
 * back on one it allows: a redirect back to one of your origins carries the trace on, as the first
 * request would have. Only the values tracehop sent are taken off; a header another hook set stays.
 */
function sendTraceHeadersIfPropagated(
  tracing: ClientTracing,
  options: RedirectOptions,
  sent: Readonly<Record<string, string>>,
): void {
  const headers = options.headers
  if (headers === undefined || Object.keys(sent).length === 0) return
  const url = nextHopUrl(options)
  const allowed = url !== undefined && tracing.propagatesTo(url)
  const keys = Object.keys(headers)
  for (const [name, value] of Object.entries(sent)) {
    const key = keys.find((candidate) => candidate.toLowerCase() === name.toLowerCase())
    if (allowed && key === undefined) headers[name] = value
    else if (!allowed && key !== undefined && headers[key] === value) {
      Reflect.deleteProperty(headers, key)
    }
  }
}

// Read as follow-redirects reads it when it sends the hop: from protocol, hostname and port, which
// a hook may have changed since `href` was set; through a proxy, `path` is the whole URL.
function nextHopUrl(options: RedirectOptions): string | undefined {
  const { protocol, hostname, port, path } = options
  if (typeof path === 'string' && path !== '' && !path.startsWith('/')) return path
  if (typeof protocol !== 'string' || typeof hostname !== 'string' || hostname === '') {
    return typeof options.href === 'string' ? options.href : undefined
  }
  // follow-redirects takes an IPv6 address out of its brackets.
  const host = hostname.includes(':') ? `[${hostname}]` : hostname
  const portPart = typeof port === 'number' || typeof port === 'string' ? port : ''
  const hostAndPort = portPart === '' ? host : `${host}:${portPart}`
  return `${protocol}//${hostAndPort}${typeof path === 'string' ? path : '/'}`
}
