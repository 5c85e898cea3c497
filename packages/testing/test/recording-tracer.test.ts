import assert from 'node:assert/strict'
import { describe, it } from 'node:test'
import {
  RecordingTracer,
  assertFinishedOnce,
  criticalPath,
  selfTime,
  slowestSpan,
  formatBaggage,
  groupByTrace,
  parseBaggage,
  parseTraceParent,
  renderWaterfall,
  traceTree,
} from '@tracehop/testing'
import { FORMAT_HTTP_HEADERS, FORMAT_TEXT_MAP, followsFrom } from 'opentracing'

describe('RecordingTracer', () => {
  it('should record names, start tags, tags, logs, references and finish counts', () => {
    const tracer = new RecordingTracer()
    const root = tracer.startSpan('root', { tags: { a: 1 } })
    const child = tracer.startSpan('child', { childOf: root })
    const next = tracer.startSpan('next', {
      references: [followsFrom(child.context())],
    })
    child.setTag('b', 2).log({ event: 'x' }, 1234)
    child.setOperationName('renamed')
    for (const span of [next, child, root]) span.finish()
    assert.deepEqual(root.tags, { a: 1 })
    assert.equal(child.parentId, root.spanId)
    assert.equal(child.traceId, root.traceId)
    assert.equal(next.parentId, child.spanId)
    assert.deepEqual(next.references, [
      { type: 'follows_from', spanId: child.spanId, traceId: root.traceId },
    ])
    assert.equal(child.operationName, 'renamed')
    assert.deepEqual(child.logs, [{ timestamp: 1234, fields: { event: 'x' } }])
    assert.deepEqual(
      tracer.finishedSpans().map((span) => span.operationName),
      ['next', 'renamed', 'root'],
    )
    assert.match(root.traceId, /^[0-9a-f]{32}$/)
    assert.match(root.spanId, /^[0-9a-f]{16}$/)
    assertFinishedOnce(tracer.spans())
    root.finish()
    assert.throws(() => assertFinishedOnce(tracer.spans()), /root \(finished 2x\)/)
    assert.equal(tracer.openSpans().length, 0)
    tracer.reset()
    assert.equal(tracer.spans().length, 0)
  })

  it('should round-trip context and baggage through traceparent and baggage headers', () => {
    const tracer = new RecordingTracer()
    const span = tracer.startSpan('edge')
    span.setBaggageItem('tenant', 'acme corp/ü')
    for (const format of [FORMAT_HTTP_HEADERS, FORMAT_TEXT_MAP]) {
      const carrier: Record<string, string> = {}
      tracer.inject(span, format, carrier)
      assert.equal(carrier.traceparent, `00-${span.traceId}-${span.spanId}-01`)
      assert.equal(carrier.baggage, 'tenant=acme%20corp%2F%C3%BC')
      const upper = { TRACEPARENT: carrier.traceparent, Baggage: carrier.baggage }
      const context = tracer.extract(format, upper)
      assert.ok(context)
      const child = tracer.startSpan('child', { childOf: context })
      assert.equal(child.traceId, span.traceId)
      assert.equal(child.parentId, span.spanId)
      assert.equal(child.getBaggageItem('tenant'), 'acme corp/ü')
    }
  })

  it('should extract null from missing or invalid headers', () => {
    const tracer = new RecordingTracer()
    for (const carrier of [{}, { traceparent: 'nope' }, { traceparent: 42 }, null]) {
      assert.equal(tracer.extract(FORMAT_HTTP_HEADERS, carrier), null)
    }
  })
})

describe('W3C parsing', () => {
  const valid = '00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01'
  it('should accept valid traceparents, including future versions with more fields', () => {
    assert.deepEqual(parseTraceParent(valid), {
      traceId: '0af7651916cd43dd8448eb211c80319c',
      spanId: 'b7ad6b7169203331',
      sampled: true,
    })
    assert.equal(parseTraceParent(`cc${valid.slice(2)}-what-the-future-holds`)?.sampled, true)
    assert.equal(parseTraceParent(valid.replace(/01$/, '00'))?.sampled, false)
  })

  for (const bad of [
    '',
    valid.toUpperCase(),
    `ff${valid.slice(2)}`,
    `${valid}-extra`,
    '00-00000000000000000000000000000000-b7ad6b7169203331-01',
    '00-0af7651916cd43dd8448eb211c80319c-0000000000000000-01',
    '00-0af7651916cd43dd8448eb211c80319-b7ad6b7169203331-01',
    '00-0af7651916cd43dd8448eb211c80319c-b7ad6b716920333-01',
    `${valid}, ${valid}`,
    'x'.repeat(10_000),
  ]) {
    it(`should reject ${JSON.stringify(bad.slice(0, 70))}`, () => {
      assert.equal(parseTraceParent(bad), null)
    })
  }

  it('should parse baggage leniently and within limits', () => {
    assert.deepEqual(
      [...parseBaggage('a=1, b = two%20words ;prop=x,bad,=v,c=%E0%A4%A,d=%')],
      [
        ['a', '1'],
        ['b', 'two words'],
      ],
    )
    assert.equal(parseBaggage('k=v,'.repeat(2000)).size, 1)
    assert.equal(parseBaggage('k=v,'.repeat(3000)).size, 0)
    assert.equal(parseBaggage(Array.from({ length: 300 }, (_, i) => `k${i}=v`).join(',')).size, 180)
    assert.equal(parseBaggage(`k=${'v'.repeat(9000)}`).size, 0)
    assert.equal(formatBaggage(new Map([['k', 'a b']])), 'k=a%20b')
  })
})

describe('trace helpers', () => {
  it('should group by trace, build the tree and render a waterfall', () => {
    const tracer = new RecordingTracer()
    const t0 = 1_000_000
    const root = tracer.startSpan('GET /a', { startTime: t0 })
    const child = tracer.startSpan('GET b:80', {
      childOf: root,
      startTime: t0 + 10,
    })
    const other = tracer.startSpan('other', { startTime: t0 })
    child.finish(t0 + 30)
    root.finish(t0 + 40)
    other.finish(t0 + 1)
    const traces = groupByTrace(tracer.finishedSpans())
    assert.equal(traces.size, 2)
    const tree = traceTree(traces.get(root.traceId) ?? [])
    assert.equal(tree.length, 1)
    assert.equal(tree[0]?.children[0]?.span, child)
    const text = renderWaterfall([root, child], { width: 8 })
    assert.equal(
      text,
      ['GET /a      40.0 ms  |████████|', '  GET b:80  20.0 ms  |  ████  |'].join('\n'),
    )
    assert.equal(renderWaterfall([]), '(no spans)')
  })

  it('should find the critical path and the span with the most time of its own', () => {
    const tracer = new RecordingTracer()
    const t0 = 5_000
    const root = tracer.startSpan('root', { startTime: t0 })
    const a = tracer.startSpan('a', { childOf: root, startTime: t0 })
    const b = tracer.startSpan('b', { childOf: root, startTime: t0 + 10 })
    const c = tracer.startSpan('c', { childOf: b, startTime: t0 + 20 })
    a.finish(t0 + 10)
    c.finish(t0 + 80)
    b.finish(t0 + 90)
    root.finish(t0 + 100)
    const spans = tracer.finishedSpans()
    assert.deepEqual(
      criticalPath(spans).map((span) => span.operationName),
      ['root', 'b', 'c'],
    )
    assert.equal(slowestSpan(spans), c)
    const [tree] = traceTree(spans)
    assert.equal(selfTime(tree!), 10)
    assert.equal(slowestSpan([]), undefined)
  })
})
