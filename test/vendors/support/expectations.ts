// What a backend must have received after the vendor scenario, whatever the vendor: spans
// reduced to one shape, and the assertions every vendor's suite makes on them.
import assert from 'node:assert/strict'
import type { ScenarioResult, ServiceName } from './scenario.js'

/** A span as a backend received it, decoded into plain values. */
export interface VendorSpan {
  traceId: string
  spanId: string
  parentId: string | undefined
  name: string
  service: string
  tags: Record<string, unknown>
  /** Message of the error log (an `event: error` log, or the vendor's exception event). */
  errorMessage: string | undefined
}

interface Hop {
  service: ServiceName
  kind: 'server' | 'client'
  component: string
}

const HOPS: Hop[] = [
  { service: 'edge', kind: 'server', component: 'express' },
  { service: 'edge', kind: 'client', component: 'axios' },
  { service: 'planner', kind: 'server', component: 'fastify' },
  { service: 'planner', kind: 'client', component: 'fetch' },
  { service: 'stock', kind: 'server', component: 'express' },
]

/** Per chain, per hop: [status, error] expected. */
const OUTCOMES: Record<string, Array<[number | undefined, boolean]>> = {
  ok: [
    [200, false],
    [200, false],
    [200, false],
    [200, false],
    [200, false],
  ],
  missing: [
    [404, false],
    [404, true],
    [404, false],
    [404, true],
    [404, false],
  ],
  boom: [
    [500, true],
    [500, true],
    [500, true],
    [500, true],
    [500, true],
  ],
  slow: [
    [undefined, false],
    [200, false],
    [200, false],
    [200, false],
    [200, false],
  ],
}

/** Options of assertScenario for what a vendor can and cannot carry. */
export interface VendorAbilities {
  /** Baggage set at the edge is readable on the last hop. */
  baggage: boolean
  /** Where the tracer puts the error flag: an `error` tag (default) or somewhere else. */
  isErrorSpan?: (span: VendorSpan) => boolean
  /** Each service reports under its own name (false for process-wide agents); default true. */
  serviceNames?: boolean
  /** Server spans keep the exact status code (false: the tracer keeps only `HTTP 2xx`); default true. */
  serverStatus?: boolean
  /** Error logs stay on their span (false: the tracer reports them apart); default true. */
  errorLogsOnSpans?: boolean
}

/** Asserts the spans of one run of the scenario, as a backend received them. */
export function assertScenario(
  spans: VendorSpan[],
  result: ScenarioResult,
  abilities: VendorAbilities,
): void {
  const isError = abilities.isErrorSpan ?? ((span: VendorSpan) => span.tags.error === true)
  assert.equal(result.ok.status, 200)
  assert.equal(result.missing.status, 404)
  assert.equal(result.failing.status, 500)
  assert.equal(result.ok.baggage, abilities.baggage ? 'u-123' : null, 'baggage on the last hop')
  assert.equal(
    new Set(spans.map((span) => span.spanId)).size,
    spans.length,
    'a span reported twice',
  )
  assert.equal(spans.length, 20, `20 spans expected, got ${spans.length}`)
  const traces = new Map<string, VendorSpan[]>()
  for (const span of spans) traces.set(span.traceId, [...(traces.get(span.traceId) ?? []), span])
  assert.equal(traces.size, 4, 'one trace per chain')
  const seen = new Set<string>()
  for (const trace of traces.values()) {
    const chain = orderChain(trace)
    const sku = /\/orders\/(\w+)/.exec(String(chain[0]?.tags['http.url']))?.[1] ?? '?'
    const outcomes = OUTCOMES[sku]
    assert.ok(outcomes, `unexpected chain ${sku}`)
    seen.add(sku)
    chain.forEach((span, i) => {
      const hop = HOPS[i] as Hop
      const [status, error] = outcomes[i] as [number | undefined, boolean]
      const where = `${sku} hop ${i} (${hop.service} ${hop.component} ${hop.kind})`
      if (abilities.serviceNames !== false) assert.equal(span.service, hop.service, where)
      assert.equal(span.tags['span.kind'], hop.kind, where)
      assert.equal(span.tags.component, hop.component, where)
      if (hop.kind === 'client' || abilities.serverStatus !== false) {
        assert.equal(span.tags['http.status_code'], status, `${where}: status`)
      }
      assert.equal(isError(span), error, `${where}: error`)
    })
    if (sku === 'boom' && abilities.errorLogsOnSpans !== false) {
      assert.equal(chain[4]?.errorMessage, 'stock exploded', 'the error log of the last hop')
      assert.equal(chain[2]?.errorMessage, 'stock answered 500', 'the error log of the planner')
    }
    if (sku === 'slow')
      assert.equal(chain[0]?.tags['http.aborted'], true, 'the abandoned edge span')
    assert.equal(chain[0]?.name, 'GET /orders/:sku')
    assert.equal(chain[2]?.name, 'GET /plan/:sku')
    assert.equal(chain[4]?.name, 'GET /stock/:sku')
  }
  assert.deepEqual([...seen].sort(), ['boom', 'missing', 'ok', 'slow'])
}

// The five spans of a chain, each the child of the one before it.
function orderChain(trace: VendorSpan[]): VendorSpan[] {
  const roots = trace.filter((span) => !trace.some((other) => other.spanId === span.parentId))
  assert.equal(roots.length, 1, `one root per trace, found ${roots.length}`)
  const chain = [roots[0] as VendorSpan]
  for (let i = 1; i < trace.length; i++) {
    const parent = chain[i - 1] as VendorSpan
    const children = trace.filter((span) => span.parentId === parent.spanId)
    assert.equal(
      children.length,
      1,
      `${parent.service} ${parent.name} has ${children.length} children`,
    )
    chain.push(children[0] as VendorSpan)
  }
  return chain
}
