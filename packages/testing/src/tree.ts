import { AssertionError } from 'node:assert'
/**
 * What the trace helpers need of a span: a RecordingSpan has it, and spans of any other tracer
 * or backend can be mapped to it (times in milliseconds).
 */
export interface TraceSpan {
  traceId: string
  spanId: string
  parentId: string | undefined
  operationName: string
  startTime: number
  finishTime: number | undefined
  tags: Record<string, unknown>
}

/** A span and its children, in start order. */
export interface TraceNode<Span extends TraceSpan = TraceSpan> {
  span: Span
  children: Array<TraceNode<Span>>
}

/** Spans grouped by trace id, each group in start order. */
export function groupByTrace<Span extends TraceSpan>(spans: readonly Span[]): Map<string, Span[]> {
  const traces = new Map<string, Span[]>()
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
export function traceTree<Span extends TraceSpan>(spans: readonly Span[]): Array<TraceNode<Span>> {
  const nodes = new Map<string, TraceNode<Span>>()
  const ordered = [...spans].sort(byStart)
  for (const span of ordered) nodes.set(span.spanId, { span, children: [] })
  const roots: Array<TraceNode<Span>> = []
  for (const span of ordered) {
    const node = nodes.get(span.spanId) as TraceNode<Span>
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
  label?: (span: TraceSpan) => string
}

/**
 * Renders spans as a text waterfall: one line per span, indented under its parent, with its
 * duration and a bar on a time axis shared by all the spans given.
 */
export function renderWaterfall(
  spans: readonly TraceSpan[],
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
    const duration =
      span.finishTime === undefined ? 'open' : `${(span.finishTime - span.startTime).toFixed(1)} ms`
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

/**
 * The critical path of a trace: from its root, each time the child that finished last (the one
 * its parent waited for). Where the time of a slow request went, hop by hop.
 */
export function criticalPath<Span extends TraceSpan>(spans: readonly Span[]): Span[] {
  const path: Span[] = []
  let node: TraceNode<Span> | undefined = traceTree(spans).reduce<TraceNode<Span> | undefined>(
    (longest, root) =>
      longest === undefined || lengthOf(root.span) > lengthOf(longest.span) ? root : longest,
    undefined,
  )
  while (node !== undefined) {
    path.push(node.span)
    node = node.children.reduce<TraceNode<Span> | undefined>(
      (last, child) =>
        last === undefined || (child.span.finishTime ?? 0) > (last.span.finishTime ?? 0)
          ? child
          : last,
      undefined,
    )
  }
  return path
}

/**
 * The span whose own work (its duration minus the time its children cover) is the largest:
 * where a slow trace actually spends its time.
 */
export function slowestSpan<Span extends TraceSpan>(spans: readonly Span[]): Span | undefined {
  let slowest: Span | undefined
  let slowestSelf = -1
  for (const node of flatten(traceTree(spans))) {
    const self = selfTime(node)
    if (self > slowestSelf) {
      slowest = node.span
      slowestSelf = self
    }
  }
  return slowest
}

/** Milliseconds of `node`'s span not covered by any of its children. */
export function selfTime(node: TraceNode): number {
  const span = node.span
  const end = span.finishTime ?? span.startTime
  const intervals = node.children
    .map((child): [number, number] => [
      Math.max(child.span.startTime, span.startTime),
      Math.min(child.span.finishTime ?? end, end),
    ])
    .filter(([from, to]) => to > from)
    .sort((a, b) => a[0] - b[0])
  let covered = 0
  let reach = span.startTime
  for (const [from, to] of intervals) {
    if (to <= reach) continue
    covered += to - Math.max(from, reach)
    reach = to
  }
  return end - span.startTime - covered
}

function flatten<Span extends TraceSpan>(nodes: Array<TraceNode<Span>>): Array<TraceNode<Span>> {
  return nodes.flatMap((node) => [node, ...flatten(node.children)])
}

function lengthOf(span: TraceSpan): number {
  return (span.finishTime ?? span.startTime) - span.startTime
}

/** Throws an AssertionError naming every span not finished exactly once. */
export function assertFinishedOnce(
  spans: ReadonlyArray<{ operationName: string; finishCount: number }>,
): void {
  const wrong = spans.filter((span) => span.finishCount !== 1)
  if (wrong.length === 0) return
  const list = wrong.map((span) => `${span.operationName} (finished ${span.finishCount}x)`)
  throw new AssertionError({ message: `spans not finished exactly once: ${list.join(', ')}` })
}

function defaultLabel(span: TraceSpan): string {
  const service = span.tags.service
  return typeof service === 'string' ? `${service}: ${span.operationName}` : span.operationName
}

function byStart(a: TraceSpan, b: TraceSpan): number {
  return a.startTime - b.startTime
}
