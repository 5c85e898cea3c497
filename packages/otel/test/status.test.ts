// The status of spans an application (or another OpenTracing instrumentation) starts itself,
// which may tag an HTTP status and never an error: OTel's rules hold for them too, unless an
// `error` tag says otherwise. The spans core starts fail as its isError option says.
import assert from 'node:assert/strict'
import { beforeEach, describe, it } from 'node:test'
import { SpanStatusCode } from '@opentelemetry/api'
import { createClientTracing, createServerTracing } from '@tracehop/core/adapter'
import { createOtelTracer } from '../src/index.js'
import { sdk } from '../../../test/support/otel-sdk.js'

const tracer = createOtelTracer()

function finishedWith(kind: string, tags: Record<string, unknown>) {
  tracer.startSpan(`${kind} call`, { tags: { 'span.kind': kind, ...tags } }).finish()
  const span = sdk.spans().at(-1)
  assert.ok(span)
  return { status: span.status.code, errorType: span.attributes['error.type'] }
}

describe('status of spans tagged with an HTTP status alone', () => {
  beforeEach(() => sdk.reset())

  it('should be ERROR for a server 5xx and a client 4xx or 5xx, with the status as error.type', () => {
    assert.deepEqual(finishedWith('server', { 'http.status_code': '500' }), {
      status: SpanStatusCode.ERROR,
      errorType: '500',
    })
    assert.deepEqual(finishedWith('client', { 'http.status_code': 503 }), {
      status: SpanStatusCode.ERROR,
      errorType: '503',
    })
    assert.deepEqual(finishedWith('client', { 'http.status_code': 404 }), {
      status: SpanStatusCode.ERROR,
      errorType: '404',
    })
  })

  it('should stay UNSET for a server 4xx, any 2xx, and a status of another kind of span', () => {
    const unset = { status: SpanStatusCode.UNSET, errorType: undefined }
    assert.deepEqual(finishedWith('server', { 'http.status_code': 404 }), unset)
    assert.deepEqual(finishedWith('client', { 'http.status_code': 200 }), unset)
    assert.deepEqual(finishedWith('producer', { 'http.status_code': 500 }), unset)
  })

  it('should follow an error tag over the status, either way', () => {
    assert.equal(
      finishedWith('server', { 'http.status_code': 500, error: false }).status,
      SpanStatusCode.UNSET,
    )
    assert.equal(
      finishedWith('server', { 'http.status_code': 200, error: true }).status,
      SpanStatusCode.ERROR,
    )
  })

  it("should leave UNSET a call or request the app's isError hook does not count as failed", () => {
    const isError = () => false
    const client = createClientTracing('test', { tracer, isError })
    client.start({ method: 'GET', url: 'http://stock.test/items/7' })?.finish({ statusCode: 404 })
    const server = createServerTracing('test', { tracer, isError })
    server.start({ method: 'GET', url: '/', headers: {} })?.finish({ statusCode: 503 })
    const statuses = sdk.spans().map((span) => [span.status.code, span.attributes['error.type']])
    assert.deepEqual(statuses, [
      [SpanStatusCode.UNSET, undefined],
      [SpanStatusCode.UNSET, undefined],
    ])
  })
})
