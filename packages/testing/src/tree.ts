import type { RecordingSpan } from './tracer.js'

/** A span and its children, in start order. */
export interface TraceNode {
  span: RecordingSpan
  children: TraceNode[]
}

/** Spans grouped by trace id, each group in start order. */
export function groupByTrace(spans: readonly RecordingSpan[]): Map<string, RecordingSpan[]> {
  const traces = new Map<string, RecordingSpan[]>()
  for (const span of [...spans].sort(byStart)) {
    const group = traces.get(span.traceId)
    if (group === undefined) traces.set(span.traceId, [span])
    else group.push(span)
  }
  return traces
}

/**
 * The trees of `spans`: each span under its parent; spans whose parent was not recorded (a
 * remote caller, say) are roots.
 */
export function traceTree(spans: readonly RecordingSpan[]): TraceNode[] {
  const nodes = new Map<string, TraceNode>()
  const ordered = [...spans].sort(byStart)
  for (const span of ordered) nodes.set(span.spanId, { span, children: [] })
  const roots: TraceNode[] = []
  for (const span of ordered) {
    const node = nodes.get(span.spanId) as TraceNode
    const parent = span.parentId === undefined ? undefined : nodes.get(span.parentId)
    if (parent === undefined || parent === node) roots.push(node)
    else parent.children.push(node)
  }
  return roots
}

/** Options of renderWaterfall. */
export interface WaterfallOptions {
  /** Width of the bar column in characters; default 40. */
  width?: number
  /** Label of a span; default: its operation name, prefixed by its `service` tag if set. */
  label?: (span: RecordingSpan) => string
}

/**
 * Renders spans as a text waterfall: one line per span, indented under its parent, with its
 * duration and a bar on a time axis shared by all the spans given.
 */
export function renderWaterfall(
  spans: readonly RecordingSpan[],
  options: WaterfallOptions = {},
): string {
  if (spans.length === 0) return '(no spans)'
  const width = options.width ?? 40
  const label = options.label ?? defaultLabel
  const start = Math.min(...spans.map((span) => span.startTime))
  const end = Math.max(...spans.map((span) => span.finishTime ?? span.startTime))
  const total = Math.max(end - start, 0.001)
  const rows: Array<[string, string, string]> = []
  const walk = (node: TraceNode, depth: number): void => {
    const span = node.span
    const from = Math.floor(((span.startTime - start) / total) * width)
    const finish = span.finishTime ?? end
    const to = Math.max(from + 1, Math.round(((finish - start) / total) * width))
    const bar = ' '.repeat(from) + '█'.repeat(Math.min(to, width) - from)
    const duration = span.duration === undefined ? 'open' : `${span.duration.toFixed(1)} ms`
    rows.push([`${'  '.repeat(depth)}${label(span)}`, duration, bar.padEnd(width)])
    for (const child of node.children) walk(child, depth + 1)
  }
  for (const root of traceTree(spans)) walk(root, 0)
  const nameWidth = Math.max(...rows.map(([name]) => name.length))
  const durationWidth = Math.max(...rows.map(([, duration]) => duration.length))
  return rows
    .map(
      ([name, duration, bar]) =>
        `${name.padEnd(nameWidth)}  ${duration.padStart(durationWidth)}  |${bar}|`,
    )
    .join('\n')
}

/** Throws an AssertionError naming every span not finished exactly once. */
export function assertFinishedOnce(spans: readonly RecordingSpan[]): void {
  const wrong = spans.filter((span) => span.finishCount !== 1)
  if (wrong.length === 0) return
  const list = wrong.map((span) => `${span.operationName} (finished ${span.finishCount}x)`)
  const error = new Error(`spans not finished exactly once: ${list.join(', ')}`)
  error.name = 'AssertionError'
  throw error
}

function defaultLabel(span: RecordingSpan): string {
  const service = span.tags.service
  return typeof service === 'string' ? `${service}: ${span.operationName}` : span.operationName
}

function byStart(a: RecordingSpan, b: RecordingSpan): number {
  return a.startTime - b.startTime
}
