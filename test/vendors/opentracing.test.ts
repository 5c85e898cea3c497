// opentracing's own tracers: the no-op default (extract answers an empty context, inject writes
// nothing) and MockTracer (inject and extract throw). Nothing may break; MockTracer still records.
import assert from 'node:assert/strict'
import { describe, it } from 'node:test'
import { MockTracer, Tracer } from 'opentracing'
import { runScenario } from './support/scenario.js'

describe('vendor: opentracing no-op tracer and MockTracer', () => {
  it('should run the scenario under the no-op tracer with no error reported', async () => {
    const reported: string[] = []
    const result = await runScenario(() => new Tracer(), {
      onError: (_error, where) => reported.push(where),
    })
    assert.deepEqual(
      [result.ok.status, result.missing.status, result.failing.status],
      [200, 404, 500],
    )
    assert.equal(result.ok.baggage, null)
    assert.deepEqual(reported, [])
  })

  it('should run it under MockTracer, recording every span once and reporting its throws', async () => {
    const tracer = new MockTracer()
    const reported: string[] = []
    const result = await runScenario(() => tracer, {
      onError: (_error, where) => reported.push(where),
    })
    assert.deepEqual(
      [result.ok.status, result.missing.status, result.failing.status],
      [200, 404, 500],
    )
    const spans = tracer.report().spans
    assert.equal(spans.length, 20)
    for (const span of spans) assert.equal(typeof span.durationMs(), 'number')
    assert.ok(reported.includes('extract'), `reported: ${reported.join()}`)
    assert.ok(reported.includes('inject'), `reported: ${reported.join()}`)
    const names = spans.map((span) => span.operationName()).sort()
    assert.equal(names.filter((name) => name === 'GET /stock/:sku').length, 4)
  })
})
