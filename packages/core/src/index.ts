// @tracehop/core for applications: the active span, in-process spans and ids for logs, and the
// types met in adapters' options and hooks. Adapter authors: '@tracehop/core/adapter'.
export { activeSpan, withSpan, startActiveSpan, traceIds } from './context.js'
export { TRACE_HEADERS, traceHeaders, type TraceHeadersOptions } from './cors.js'
export type {
  ActiveSpanOptions,
  ClientFinishState,
  ClientRequestInfo,
  ClientResult,
  ClientSpanState,
  ClientTracingOptions,
  ErrorHandler,
  HeaderSource,
  IgnoreOption,
  Outcome,
  PropagateOption,
  PropagateTarget,
  ServerFinishState,
  ServerRequestInfo,
  ServerStartState,
  ServerTracingOptions,
  TraceIds,
  TracerOption,
  TracingOptions,
  Transport,
} from './types.js'
