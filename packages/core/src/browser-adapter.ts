// @tracehop/core/adapter as a browser build has it: the client lifecycle and, for tracer bridges,
// where the active span is kept. No server lifecycle: a page serves no HTTP requests. Calls go out
// from the page: `propagate` defaults to its own origin, and relative URLs resolve as the page's.
import { ClientTracing as Client, type ClientSpanHandle as ClientHandle } from './client.js'
import { currentPage } from './page.js'
import type { ClientTracingOptions } from './types.js'

export { setContextStore } from './context.js'
export { isErrorInstance, warn } from './errors.js'
export { REFUSED_CALLER } from './guard.js'
export { normalizeMethod, redactUrl } from './url.js'
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
  return new Client(component, options, currentPage())
}

// The lifecycle's classes as types only, as in the Node entry.
/** The client lifecycle createClientTracing() makes (a type). */
export type ClientTracing = Client
/** One outgoing call's span, as ClientTracing.start() returns it (a type). */
export type ClientSpanHandle = ClientHandle
