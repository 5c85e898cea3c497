// Each tracer quirk that would break a naive integration, pinned: first what the tracer itself
// does, then that core's handling keeps the request traced correctly.
import assert from 'node:assert/strict'
import { describe, it } from 'node:test'
import { createClientTracing, createServerTracing } from '@tracehop/core/adapter'
import jaeger from 'jaeger-client'
import { FORMAT_HTTP_HEADERS, Tracer, type Span } from 'opentracing'

const PARENT = { trace: '4bf92f3577b34da6', span: '00f067aa0ba902b7' }
const VALID = `${PARENT.trace}:${PARENT.span}:0:1`

// jaeger-client exports these, its community typings do not.
const jaegerClient = jaeger as typeof jaeger & {
  InMemoryReporter: new () => object
  ConstSampler: new (decision: boolean) => object
  Tracer: new (service: string, reporter: object, sampler: object) => Tracer
  ZipkinB3TextMapCodec: new (options: object) => object
}

function jaegerTracer() {
  const reporter = new jaegerClient.InMemoryReporter()
  const tracer = new jaegerClient.Tracer('quirks', reporter, new jaegerClient.ConstSampler(true))
  return { tracer, reporter }
}

function serverSpan(tracer: Tracer, headers: unknown): { span: Span; reported: string[] } {
  const reported: string[] = []
  const handle = createServerTracing('test', {
    tracer,
    onError: (_error, where) => reported.push(where),
  }).start({ method: 'GET', url: '/x', headers: headers as Record<string, string> })
  assert.ok(handle, 'the request is traced')
  handle.finish({ statusCode: 200 })
  return { span: handle.span, reported }
}

const parentOf = (span: Span) =>
  (span.context() as unknown as { parentIdStr?: string }).parentIdStr ?? ''
const traceOf = (span: Span) => span.context().toTraceId()

describe('tracer quirks, pinned', () => {
  it('jaeger-client throws on an array header value; core joins values first', () => {
    const { tracer } = jaegerTracer()
    assert.throws(
      () => tracer.extract(FORMAT_HTTP_HEADERS, { 'uber-trace-id': [VALID, VALID] }),
      TypeError,
    )
    const { span, reported } = serverSpan(tracer, { 'uber-trace-id': [VALID] })
    assert.deepEqual(reported, [])
    assert.equal(traceOf(span), PARENT.trace)
    assert.equal(parentOf(span), PARENT.span)
  })

  it('a null-prototype carrier (HTTP/2 headers) breaks tracers that call carrier.hasOwnProperty; core hands them a plain object', () => {
    // jaeger-client before 3.19 read carriers this way; 3.19 uses Object.prototype.hasOwnProperty.
    class OwnPropertyTracer extends Tracer {
      seen: unknown
      protected override _extract(
        _format: string,
        carrier: { hasOwnProperty(key: string): boolean },
      ) {
        // eslint-disable-next-line no-prototype-builtins -- the quirk under test
        this.seen = carrier.hasOwnProperty('uber-trace-id')
        return null
      }
    }
    const bare = Object.assign(Object.create(null) as object, { 'uber-trace-id': VALID })
    assert.throws(() => new OwnPropertyTracer().extract(FORMAT_HTTP_HEADERS, bare), TypeError)
    const tracer = new OwnPropertyTracer()
    const { reported } = serverSpan(tracer, bare)
    assert.deepEqual(reported, [])
    assert.equal(tracer.seen, true)
    const { tracer: jaegerClient } = jaegerTracer()
    assert.equal(parentOf(serverSpan(jaegerClient, bare).span), PARENT.span)
  })

  it('jaeger-client ignores a Headers carrier; core reads it', () => {
    const { tracer } = jaegerTracer()
    const headers = new Headers({ 'uber-trace-id': VALID })
    const extracted = tracer.extract(FORMAT_HTTP_HEADERS, headers) as unknown as {
      isValid: boolean
    }
    assert.equal(extracted.isValid, false)
    const { span } = serverSpan(tracer, headers)
    assert.equal(parentOf(span), PARENT.span)
  })

  it('jaeger-client turns a bogus trace id into a context whose child has trace id 0; core starts a root', () => {
    const { tracer } = jaegerTracer()
    const bogus = tracer.extract(FORMAT_HTTP_HEADERS, { 'uber-trace-id': '1zzz:2:0:1' })
    assert.equal(bogus?.toTraceId(), '1zzz')
    const { span } = serverSpan(tracer, { 'uber-trace-id': '1zzz:2:0:1' })
    assert.match(traceOf(span), /^[0-9a-f]+$/)
    assert.doesNotMatch(traceOf(span), /^0+$/)
    assert.equal(parentOf(span), '')
  })

  it('jaeger-client never extracts null: no header gives an invalid context; core starts a root', () => {
    const { tracer } = jaegerTracer()
    const empty = tracer.extract(FORMAT_HTTP_HEADERS, {}) as unknown as { isValid: boolean }
    assert.notEqual(empty, null)
    assert.equal(empty.isValid, false)
    const { span } = serverSpan(tracer, {})
    assert.equal(parentOf(span), '')
  })

  it("opentracing's no-op tracer extracts an empty context, not null; core reports nothing", () => {
    const tracer = new Tracer()
    assert.notEqual(tracer.extract(FORMAT_HTTP_HEADERS, {}), null)
    const { reported } = serverSpan(tracer, { traceparent: 'x' })
    assert.deepEqual(reported, [])
  })

  it('jaeger-client B3 ids lose their leading zeros, which OTel rejects; core pads them', () => {
    const { tracer } = jaegerTracer()
    const codec = new jaegerClient.ZipkinB3TextMapCodec({ urlEncoding: true })
    const registrar = tracer as unknown as { registerInjector(format: string, codec: object): void }
    registrar.registerInjector(FORMAT_HTTP_HEADERS, codec)
    const client = createClientTracing('test', { tracer })
    let short = 0
    for (let i = 0; i < 300; i++) {
      const call = client.start({ method: 'GET', url: 'http://h/' })
      assert.ok(call)
      const raw: Record<string, string> = {}
      tracer.inject(call.span.context(), FORMAT_HTTP_HEADERS, raw)
      if ((raw['x-b3-spanid'] ?? '').length < 16) short++
      assert.equal(call.headers['x-b3-spanid']?.length, 16)
      call.finish({ statusCode: 200 })
    }
    assert.ok(short > 0, 'jaeger-client wrote no short span id in 300 tries')
  })
})
