// @tracehop/fetch as a browser build has it: a page's fetch goes through no transport a tracer
// instruments in Node (undici), so tracehop traces every call itself.
import {
  globalFetch,
  traceFetch,
  type AnyFetch,
  type FetchTracingOptions,
  type TracedFetch,
} from './fetch.js'

export type { FetchTracingOptions } from './fetch.js'

type Fetch = typeof globalThis.fetch

/**
 * Wraps `fetchImpl` (default: the page's `fetch`, or while it has none, the one it has when a
 * call is made) so every call becomes a client span, child of
 * the active span, whose context travels in the request headers of calls to the page's own origin
 * (see the `propagate` option). The result has fetch's exact signature.
 */
export function tracedFetch<F extends AnyFetch>(
  fetchImpl: F,
  options?: FetchTracingOptions,
): TracedFetch<F>
export function tracedFetch(fetchImpl?: Fetch, options?: FetchTracingOptions): Fetch
export function tracedFetch(
  fetchImpl: AnyFetch = globalFetch(),
  options: FetchTracingOptions = {},
): AnyFetch {
  return traceFetch(fetchImpl as Fetch, options, undefined, () => true)
}
