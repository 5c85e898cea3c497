// @tracehop/core for applications: the active span, in-process spans and ids for logs, and the
// types met in adapters' options and hooks. Adapter authors: '@tracehop/core/adapter'.
export { activeSpan, withSpan, startActiveSpan, traceIds } from './context.js'
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
  ServerFinishState,
  ServerRequestInfo,
  ServerStartState,
  ServerTracingOptions,
  TraceIds,
  TracerOption,
  TracingOptions,
  Transport,
} from './types.js'
