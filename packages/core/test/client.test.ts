import { AsyncLocalStorage } from 'node:async_hooks'
import assert from 'node:assert/strict'
import { describe, it } from 'node:test'
import { createClientTracing } from '../src/client.js'
import { setContextStore, withSpan } from '../src/context.js'
import type { ClientTracingOptions } from '../src/types.js'
import { RecordingTracer, assertFinishedOnce, parseTraceParent } from '@tracehop/testing'
import { Tracer, type Span, type SpanContext } from 'opentracing'

function setup(options: ClientTracingOptions = {}) {
  const tracer = new RecordingTracer()
  const client = createClientTracing('test-client', { tracer, ...options })
  return { tracer, client }
}

describe('client lifecycle', () => {
  it('should start a child of the active span and inject its context', () => {
    const { tracer, client } = setup()
    const parent = tracer.startSpan('server')
    const call = withSpan(parent, () =>
      client.start({ method: 'post', url: 'http://user:pw@api.example:8080/v1/items?token=t' }),
    )
    assert.ok(call)
    call.finish({ statusCode: 201 })
    parent.finish()
    const span = tracer.finishedSpans()[0]
    assert.ok(span)
    assert.equal(span.operationName, 'POST api.example:8080')
    assert.equal(span.parentId, parent.spanId)
    assert.deepEqual(span.tags, {
      'span.kind': 'client',
      component: 'test-client',
      'http.method': 'POST',
      'http.request.method_original': 'post',
      'http.url': 'http://api.example:8080/v1/items?token=REDACTED',
      'peer.hostname': 'api.example',
      'peer.port': 8080,
      'http.status_code': 201,
    })
    const injected = parseTraceParent(call.headers.traceparent ?? '')
    assert.equal(injected?.spanId, span.spanId)
    assert.equal(injected?.traceId, span.traceId)
    assertFinishedOnce(tracer.spans())
  })

  it('should name by host and default port, and bound unknown methods', () => {
    const { tracer, client } = setup()
    client.start({ method: 'GET', url: new URL('https://example.com/x') })?.finish({})
    client.start({ method: 'BREW', url: 'http://example.com/x' })?.finish({})
    client.start({ method: 'GET', url: 'http://[::1]:8080/x' })?.finish({})
    client.start({ method: 'GET', url: 'not a url' })?.finish({})
    assert.deepEqual(
      tracer.finishedSpans().map((span) => span.operationName),
      ['GET example.com:443', 'HTTP example.com:80', 'GET [::1]:8080', 'GET unknown'],
    )
    assert.deepEqual(
      tracer.finishedSpans().map((span) => span.tags['http.request.method_original']),
      [undefined, 'BREW', undefined, undefined],
    )
    assert.equal(tracer.finishedSpans()[2]?.tags['peer.hostname'], '::1')
  })

  it('should redact and ignore the URL as the HTTP client reads it', () => {
    const { tracer, client } = setup({ ignore: ['/health'] })
    // The URL parser drops tabs and newlines and gives `http:host` its slashes.
    assert.equal(client.start({ method: 'GET', url: 'http:127.0.0.1:8080/health' }), undefined)
    client.start({ method: 'GET', url: 'http://api.example/q?to\nken=secret' })?.finish({})
    assert.equal(tracer.finishedSpans()[0]?.tags['http.url'], 'http://api.example/q?token=REDACTED')
  })

  it('should redact the URL where the error it records says it', () => {
    const { tracer, client } = setup()
    const url = 'http://user:hunter2@api.example/x?token=secret'
    const call = client.start({ method: 'GET', url })
    const error = Object.assign(new TypeError(`Request cannot be constructed from ${url}`), {
      code: 'ERR_INVALID_URL',
    })
    call?.finish({ error })
    const span = tracer.finishedSpans()[0]
    const expected = 'Request cannot be constructed from http://api.example/x?token=REDACTED'
    assert.equal(span?.tags['error.message'], expected)
    const log = span?.logs[0]?.fields ?? {}
    assert.equal(log.message, expected)
    assert.doesNotMatch(String(log.stack), /hunter2|secret/)
    const recorded = log['error.object'] as TypeError & { code?: string }
    assert.ok(recorded instanceof TypeError)
    assert.equal(recorded.message, expected)
    assert.equal(recorded.code, 'ERR_INVALID_URL')
    // An error that says nothing to redact is recorded as it is.
    const plain = new Error('connect ECONNREFUSED')
    client.start({ method: 'GET', url })?.finish({ error: plain })
    assert.equal(tracer.finishedSpans()[1]?.logs[0]?.fields['error.object'], plain)
  })

  it('should record status >= 400 and network errors as errors, aborts as not', () => {
    const { tracer, client } = setup()
    client.start({ method: 'GET', url: 'http://h/a' })?.finish({ statusCode: 404 })
    const refused = Object.assign(new Error('connect ECONNREFUSED'), { code: 'ECONNREFUSED' })
    client.start({ method: 'GET', url: 'http://h/b' })?.finish({ error: refused })
    client
      .start({ method: 'GET', url: 'http://h/c' })
      ?.finish({ error: new Error('timeout'), timedOut: true })
    client
      .start({ method: 'GET', url: 'http://h/d' })
      ?.finish({ error: new Error('aborted'), aborted: true })
    const [notFound, network, timeout, aborted] = tracer.finishedSpans()
    assert.equal(notFound?.tags.error, true)
    assert.equal(notFound?.logs[0]?.fields.message, 'HTTP status 404')
    assert.equal(network?.tags.error, true)
    assert.equal(network?.logs[0]?.fields['error.object'], refused)
    assert.equal(timeout?.tags.error, true)
    assert.equal(timeout?.tags['http.timeout'], true)
    assert.equal(aborted?.tags.error, undefined)
    assert.equal(aborted?.tags['http.aborted'], true)
    assert.equal(aborted?.logs.length, 0)
  })

  it('should finish exactly once', () => {
    const { tracer, client } = setup()
    const call = client.start({ method: 'GET', url: 'http://h/' })
    call?.finish({ statusCode: 200 })
    call?.finish({ error: new Error('late') })
    assert.equal(call?.isFinished, true)
    assertFinishedOnce(tracer.spans())
    assert.equal(tracer.finishedSpans()[0]?.tags.error, undefined)
  })

  it('should not propagate where propagate says no, but still record the span', () => {
    const { tracer, client } = setup({ propagate: (url) => url.startsWith('http://internal') })
    const external = client.start({ method: 'GET', url: 'https://third.party/hook' })
    const internal = client.start({ method: 'GET', url: 'http://internal/x' })
    assert.deepEqual(external?.headers, {})
    assert.ok(internal?.headers.traceparent)
    const off = createClientTracing('x', { tracer, propagate: false }).start({
      method: 'GET',
      url: 'http://internal/x',
    })
    assert.deepEqual(off?.headers, {})
    for (const call of [external, internal, off]) call?.finish({ statusCode: 200 })
    assert.equal(tracer.finishedSpans().length, 3)
  })

  it('should skip ignored calls and, with requireParent, calls outside a span', () => {
    const { tracer, client } = setup({ ignore: ['/health', /^\/metrics/] })
    assert.equal(client.start({ method: 'GET', url: 'http://h/health?x=1' }), undefined)
    assert.equal(client.start({ method: 'GET', url: 'http://h/metrics/cpu' }), undefined)
    // One path or pattern alone, as plain JavaScript may give it.
    for (const ignore of ['/health', /^\/health/]) {
      const single = createClientTracing('x', { tracer, ignore } as unknown as ClientTracingOptions)
      assert.equal(single.start({ method: 'GET', url: 'http://h/health' }), undefined)
      assert.ok(single.start({ method: 'GET', url: 'http://h/other' }))
    }
    const strict = createClientTracing('x', { tracer, requireParent: true })
    assert.equal(strict.start({ method: 'GET', url: 'http://h/a' }), undefined)
    const parent = tracer.startSpan('p')
    const call = withSpan(parent, () => strict.start({ method: 'GET', url: 'http://h/a' }))
    assert.ok(call)
    call.finish({})
    parent.finish()
  })

  it('should keep only string-like values a tracer injects', () => {
    class OddTracer extends Tracer {
      protected override _inject(_context: SpanContext, _format: string, carrier: unknown) {
        Object.assign(carrier as object, {
          'X-Id': 7,
          flag: true,
          obj: { a: 1 },
          ok: 'v',
          'x-crlf': 'a\r\nInjected: yes',
          'bad name': 'v',
          'x-huge': 'v'.repeat(10_000),
        })
      }
    }
    const call = createClientTracing('x', { tracer: new OddTracer() }).start({
      method: 'GET',
      url: 'http://h/',
    })
    assert.deepEqual(call?.headers, { 'x-id': '7', flag: 'true', ok: 'v' })
  })

  it('should go on without headers when inject throws, and report once', () => {
    class ThrowingInject extends RecordingTracer {
      protected override _inject(): void {
        throw new Error('inject failed')
      }
    }
    const reported: string[] = []
    const tracer = new ThrowingInject()
    const client = createClientTracing('x', {
      tracer,
      onError: (_e, where) => reported.push(where),
    })
    for (let i = 0; i < 3; i++) {
      const call = client.start({ method: 'GET', url: 'http://h/' })
      assert.deepEqual(call?.headers, {})
      call?.finish({ statusCode: 200 })
    }
    assert.deepEqual(reported, ['inject'])
    assert.equal(tracer.finishedSpans().length, 3)
  })

  it("should leave a call to the tracer's own instrumentation of its transport", () => {
    const { tracer, client } = setup()
    const storage = new AsyncLocalStorage<Span>()
    setContextStore({
      active: () => storage.getStore(),
      run: (span, fn) => storage.run(span, fn),
      tracesTransport: (transport) => transport === 'undici',
    })
    try {
      const url = 'http://api.example/'
      assert.equal(client.start({ method: 'GET', url, transport: 'undici' }), undefined)
      client.start({ method: 'GET', url, transport: 'http' })?.finish({ statusCode: 200 })
      client.start({ method: 'GET', url })?.finish({ statusCode: 200 })
    } finally {
      setContextStore(undefined)
    }
    assert.equal(tracer.finishedSpans().length, 2)
  })

  it("should warn once that propagate does not hold for calls the tracer's instrumentation traces", async () => {
    const warnings: Error[] = []
    const onWarning = (warning: Error) => warnings.push(warning)
    process.on('warning', onWarning)
    setContextStore({
      active: () => undefined,
      run: (_span, fn) => fn(),
      tracesTransport: () => true,
    })
    try {
      const limited = setup({ propagate: ['http://api.example'] }).client
      const open = setup().client
      for (const client of [limited, limited, open]) {
        assert.equal(
          client.start({ method: 'GET', url: 'http://x.test/', transport: 'http' }),
          undefined,
        )
      }
      await new Promise((resolve) => setImmediate(resolve))
    } finally {
      setContextStore(undefined)
      process.off('warning', onWarning)
    }
    const said = warnings.filter((warning) =>
      /propagate option does not hold/.test(warning.message),
    )
    assert.equal(said.length, 1, warnings.map((warning) => warning.message).join('\n'))
    assert.equal((said[0] as Error & { code?: string }).code, 'TRACEHOP_PROPAGATE_UNHELD')
  })
})
