export { activeSpan, withSpan, startActiveSpan, traceIds } from './context.js'
export type { ActiveSpanOptions, TraceIds } from './context.js'
export { createServerTracing, ServerTracing } from './server.js'
export { ServerSpan } from './server-span.js'
export type {
  ServerRequestInfo,
  ServerRequestReader,
  ServerResult,
  ServerStartState,
  ServerFinishState,
  ServerTracingOptions,
} from './server.js'
export { createClientTracing, ClientTracing, ClientSpan } from './client.js'
export type {
  ClientRequestInfo,
  ClientResult,
  ClientSpanState,
  ClientFinishState,
  ClientTracingOptions,
} from './client.js'
export type { TracingOptions, TracerOption, IgnoreOption, Outcome } from './options.js'
export type { ErrorHandler } from './report.js'
export { toCarrier, CARRIER_LIMITS } from './carrier.js'
export type { HeaderSource } from './carrier.js'
export { redactUrl } from './url.js'
export { watchResponse, responseResult } from './response.js'
export type { ResponseEndListener, ResponseEnding, ResponseLike } from './response.js'
