// @tracehop/core/adapter, for adapter authors: the server and client lifecycles. An adapter
// translates its framework's request and response into these calls and decides nothing itself.
export { createServerTracing } from './server.js'
export type {
  RouteReader,
  ServerRequestReader,
  ServerSpanHandle,
  ServerTracing,
  TraceHeader,
} from './server.js'
export { createClientTracing } from './client.js'
export type { ClientSpanHandle, ClientTracing } from './client.js'
export type { ResponseLike } from './response-end.js'
export type {
  ClientRequestInfo,
  ClientResult,
  ClientTracingOptions,
  HeaderSource,
  ServerRequestInfo,
  ServerResult,
  ServerTracingOptions,
} from './types.js'
