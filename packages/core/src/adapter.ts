// @tracehop/core/adapter, for adapter authors: the server and client lifecycles (an adapter
// translates its framework's request and response into these calls and decides nothing itself),
// and, for tracer bridges, where the active span is kept.
export { createServerTracing } from './server.js'
export type {
  RouteReader,
  ServerRequestReader,
  ServerSpanHandle,
  ServerTracing,
  TraceHeader,
} from './server.js'
export { createClientTracing } from './client.js'
export { setContextStore } from './context.js'
export { isErrorInstance, warn } from './errors.js'
export { REFUSED_CALLER } from './guard.js'
export { normalizeMethod, redactUrl } from './url.js'
export type { ClientSpanHandle, ClientTracing } from './client.js'
export type { ResponseLike } from './response-end.js'
export type {
  ClientRequestInfo,
  ClientResult,
  ClientTracingOptions,
  ContextStore,
  HeaderSource,
  PropagateOption,
  PropagateTarget,
  ServerRequestInfo,
  ServerResult,
  ServerTracingOptions,
  Transport,
} from './types.js'
