export { RecordingTracer, RecordingSpan, RecordingSpanContext } from './tracer.js'
export type { RecordedLog } from './tracer.js'
export {
  groupByTrace,
  traceTree,
  renderWaterfall,
  criticalPath,
  slowestSpan,
  selfTime,
  assertFinishedOnce,
} from './tree.js'
export type { TraceNode, TraceSpan, WaterfallOptions } from './tree.js'
export { parseTraceParent, formatTraceParent, parseBaggage, formatBaggage } from './w3c.js'
export type { TraceParent } from './w3c.js'
