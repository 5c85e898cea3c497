// @tracehop/core/adapter as a browser build has it: the client lifecycle and, for tracer bridges,
// where the active span is kept. No server lifecycle: a page serves no HTTP requests. Calls go out
// from the page: `propagate` defaults to its own origin, and relative URLs resolve as the page's.
import { ClientTracing } from './client.js'
import { currentPage } from './page.js'
import type { ClientTracingOptions } from './types.js'

export { setContextStore } from './context.js'
export { isErrorInstance, warn } from './errors.js'
export { REFUSED_CALLER } from './guard.js'
export { normalizeMethod, redactUrl } from './url.js'
export type { ClientSpanHandle, ClientTracing } from './client.js'
export type {
  ClientRequestInfo,
  ClientResult,
  ClientTracingOptions,
  ContextStore,
  PropagateOption,
  PropagateTarget,
  Transport,
} from './types.js'

/** Creates the client lifecycle for an adapter in a page; `component` is its `component` tag. */
export function createClientTracing(
  component: string,
  options: ClientTracingOptions = {},
): ClientTracing {
  return new ClientTracing(component, options, currentPage())
}
