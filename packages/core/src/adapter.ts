// @tracehop/core/adapter, for adapter authors: the server and client lifecycles (an adapter
// translates its framework's request and response into these calls and decides nothing itself),
// and, for tracer bridges, where the active span is kept.
import type { ClientSpanHandle as ClientHandle, ClientTracing as Client } from './client.js'
import type { ServerSpanHandle as ServerHandle } from './server-span.js'
import type { ServerTracing as Server } from './server.js'

export { createServerTracing } from './server.js'
export type { ServerRequestReader } from './server.js'
export type { RouteReader, TraceHeader } from './server-span.js'
export { createClientTracing } from './client.js'
export { setContextStore } from './context.js'
export { isErrorInstance, warn } from './errors.js'
export { REFUSED_CALLER } from './guard.js'
export { normalizeMethod, redactUrl } from './url.js'
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

// The lifecycles' classes as types only: adapters get their instances from the create functions,
// and an `instanceof` on a class this entry does not export at run time would throw.
/** The server lifecycle createServerTracing() makes (a type). */
export type ServerTracing = Server
/** One server request's span, as ServerTracing.start() returns it (a type). */
export type ServerSpanHandle = ServerHandle
/** The client lifecycle createClientTracing() makes (a type). */
export type ClientTracing = Client
/** One outgoing call's span, as ClientTracing.start() returns it (a type). */
export type ClientSpanHandle = ClientHandle
