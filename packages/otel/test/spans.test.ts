import assert from 'node:assert/strict'
import { beforeEach, describe, it } from 'node:test'
import { SpanKind, SpanStatusCode } from '@opentelemetry/api'
import { startActiveSpan } from '@tracehop/core'
import { createClientTracing, createServerTracing } from '@tracehop/core/adapter'
import { followsFrom, type Span } from 'opentracing'
import { createOtelTracer } from '../src/index.js'
import { heapAfterGc } from '../../../test/support/heap.js'
import { sdk } from '../../../test/support/otel-sdk.js'

const tracer = createOtelTracer()
const server = createServerTracing('express', { tracer })
const client = createClientTracing('axios', { tracer })

const request = {
  method: 'GET',
  url: '/users/7?q=1',
  headers: {},
  host: 'api.test:8080',
  protocol: 'https',
  remoteAddress: '::ffff:10.1.2.3',
  remotePort: 51000,
}

describe('spans on the OTel SDK', () => {
  beforeEach(() => sdk.reset())

  it('should start a server span of kind SERVER with the stable HTTP attributes at start', () => {
    server.start(request)?.finish({ statusCode: 200, route: '/users/:id' })
    const [seen] = sdk.seen
    assert.equal(seen?.kind, SpanKind.SERVER)
    const startAttributes = {
      component: 'express',
      'http.request.method': 'GET',
      'url.scheme': 'https',
      'url.path': '/users/7',
      'url.query': 'q=1',
      'server.address': 'api.test',
      'server.port': 8080,
      'network.peer.address': '10.1.2.3',
      'client.address': '10.1.2.3',
      'network.peer.port': 51000,
    }
    assert.deepEqual(seen.attributes, startAttributes)
    const span = sdk.only()
    assert.equal(span.kind, SpanKind.SERVER)
    assert.equal(span.name, 'GET /users/:id')
    assert.equal(span.instrumentationScope.name, '@tracehop/express')
    assert.deepEqual(span.attributes, {
      ...startAttributes,
      'http.response.status_code': 200,
      'http.route': '/users/:id',
    })
    assert.equal(span.status.code, SpanStatusCode.UNSET)
  })

  it('should keep the scheme of a request that named no Host', () => {
    server.start({ ...request, host: undefined, protocol: 'http' })?.finish({ statusCode: 200 })
    const { attributes } = sdk.only()
    assert.equal(attributes['url.scheme'], 'http')
    assert.equal(attributes['url.path'], '/users/7')
    assert.equal(attributes['server.address'], undefined)
  })

  it('should read a path with a URL in its query as a path', () => {
    const url = '/login?next=https://shop.test/home'
    server.start({ ...request, url, host: undefined, protocol: 'https' })?.finish({})
    const { attributes } = sdk.only()
    assert.equal(attributes['url.scheme'], 'https')
    assert.equal(attributes['url.path'], '/login')
    assert.equal(attributes['url.query'], 'next=https://shop.test/home')
    assert.equal(attributes['server.address'], undefined)
  })

  it('should record a method outside the known set as _OTHER, named HTTP, with the original', () => {
    server.start({ ...request, method: 'PURGE' })?.finish({ statusCode: 200 })
    const { name, attributes } = sdk.only()
    assert.equal(name, 'HTTP')
    assert.equal(attributes['http.request.method'], '_OTHER')
    assert.equal(attributes['http.request.method_original'], 'PURGE')
    assert.equal(sdk.seen[0]?.attributes['http.request.method_original'], 'PURGE')
  })

  it('should read an IPv6 host, with or without a port', () => {
    server.start({ ...request, host: '[::1]:8080' })?.finish({ statusCode: 200 })
    server.start({ ...request, host: '[::1]' })?.finish({ statusCode: 200 })
    const [withPort, without] = sdk.spans()
    assert.equal(withPort?.attributes['server.address'], '::1')
    assert.equal(withPort?.attributes['server.port'], 8080)
    assert.equal(without?.attributes['server.address'], '::1')
    assert.equal(without?.attributes['server.port'], 443, "the scheme's default port")
  })

  it('should read each host anew, repeated or not', () => {
    const hosts = ['a.test:8080', 'a.test:8080', 'b.test', 'a.test:8080']
    for (const host of hosts) server.start({ ...request, host })?.finish({ statusCode: 200 })
    server.start({ ...request, host: 'a.test:8080', protocol: 'http' })?.finish({ statusCode: 200 })
    const read = sdk
      .spans()
      .map(
        (span) =>
          `${String(span.attributes['server.address'])}:${String(span.attributes['server.port'])}`,
      )
    assert.deepEqual(read, [
      'a.test:8080',
      'a.test:8080',
      'b.test:443',
      'a.test:8080',
      'a.test:8080',
    ])
    server.start({ ...request, host: 'b.test', protocol: 'http' })?.finish({ statusCode: 200 })
    assert.equal(sdk.spans().at(-1)?.attributes['server.port'], 80, 'the port of the scheme asked')
  })

  it("should not call a proxy's forwarded client the connection's peer", () => {
    // Adapters give the connection's port only with its own address: none for a forwarded one.
    server.start({ ...request, remotePort: undefined })?.finish({ statusCode: 200 })
    const { attributes } = sdk.only()
    assert.equal(attributes['client.address'], '10.1.2.3')
    assert.equal(attributes['network.peer.address'], undefined)
    assert.equal(attributes['network.peer.port'], undefined)
  })

  it('should start a client span of kind CLIENT with url.full and the server address', () => {
    client.start({ method: 'POST', url: 'https://pay.test/charge' })?.finish({ statusCode: 201 })
    const span = sdk.only()
    assert.equal(span.kind, SpanKind.CLIENT)
    assert.equal(span.name, 'POST pay.test:443')
    assert.deepEqual(span.attributes, {
      component: 'axios',
      'http.request.method': 'POST',
      'url.full': 'https://pay.test/charge',
      'server.address': 'pay.test',
      'server.port': 443,
      'http.response.status_code': 201,
    })
    assert.deepEqual(sdk.seen[0]?.attributes['url.full'], 'https://pay.test/charge')
  })

  it("should name the peer's service as the conventions do on each side, peer.service elsewhere", () => {
    for (const kind of ['client', 'server', 'producer']) {
      tracer.startSpan(kind, { tags: { 'span.kind': kind, 'peer.service': 'billing' } }).finish()
    }
    const services = sdk.spans().map((span) => span.attributes)
    assert.deepEqual(services, [
      { 'server.service.name': 'billing' },
      { 'client.service.name': 'billing' },
      { 'peer.service': 'billing' },
    ])
  })

  it('should keep the OpenTracing names beside when asked, and never span.kind', () => {
    const keeping = createServerTracing('express', {
      tracer: createOtelTracer({ keepOpenTracingTags: true }),
    })
    keeping.start(request)?.finish({ statusCode: 200 })
    const { attributes } = sdk.only()
    assert.equal(attributes['http.method'], 'GET')
    assert.equal(attributes['http.request.method'], 'GET')
    assert.equal(attributes['http.status_code'], 200)
    assert.equal(attributes['http.response.status_code'], 200)
    assert.equal(attributes['span.kind'], undefined)
  })

  it("should hold tags the app set itself to OTel's method and URL rules", () => {
    const keeping = createOtelTracer({ keepOpenTracingTags: true })
    for (const chosen of [tracer, keeping]) {
      const call = chosen.startSpan('call', {
        tags: { 'span.kind': 'client', 'http.method': 'post' },
      })
      call.setTag('http.url', 'https://bob:hunter2@pay.test/charge?token=abc&id=7#receipt')
      call.finish()
      chosen.startSpan('hook', { tags: { 'span.kind': 'client', 'http.method': 'purge' } }).finish()
      chosen
        .startSpan('request', { tags: { 'span.kind': 'server', 'http.url': '/in?api_key=s3cret' } })
        .finish()
    }
    const [call, hook, inbound, keptCall] = sdk.spans()
    assert.equal(call?.attributes['http.request.method'], 'POST')
    assert.equal(call?.attributes['url.full'], 'https://pay.test/charge?token=REDACTED&id=7')
    assert.equal(hook?.attributes['http.request.method'], '_OTHER')
    assert.equal(hook?.attributes['http.request.method_original'], 'purge')
    assert.equal(inbound?.attributes['url.query'], 'api_key=REDACTED')
    assert.equal(keptCall?.attributes['http.url'], 'https://pay.test/charge?token=REDACTED&id=7')
    assert.equal(keptCall?.attributes['http.method'], 'post', 'kept as the app set it')
  })

  describe('status', () => {
    it('should be ERROR for a server 5xx, with the status as error.type', () => {
      server.start(request)?.finish({ statusCode: 503 })
      const span = sdk.only()
      assert.equal(span.status.code, SpanStatusCode.ERROR)
      assert.equal(span.attributes['error.type'], '503')
      assert.equal(span.events.length, 0)
    })

    it('should stay UNSET for a server 4xx but be ERROR for a client 4xx', () => {
      server.start(request)?.finish({ statusCode: 404 })
      client.start({ method: 'GET', url: 'http://a.test/x' })?.finish({ statusCode: 404 })
      const [serverSpan, clientSpan] = sdk.spans()
      assert.equal(serverSpan?.status.code, SpanStatusCode.UNSET)
      assert.equal(serverSpan?.attributes['error.type'], undefined)
      assert.equal(clientSpan?.status.code, SpanStatusCode.ERROR)
      assert.equal(clientSpan?.attributes['error.type'], '404')
    })

    it('should record a thrown error as one exception event and ERROR with its message', () => {
      const handle = server.start(request)
      handle?.recordError(new TypeError('bad input'))
      handle?.finish({ statusCode: 500 })
      const span = sdk.only()
      assert.equal(span.status.code, SpanStatusCode.ERROR)
      assert.equal(span.status.message, 'bad input')
      assert.equal(span.attributes['error.type'], 'TypeError')
      assert.equal(span.attributes['error.message'], undefined)
      assert.equal(span.events.length, 1)
      const event = span.events[0]
      assert.equal(event?.name, 'exception')
      assert.equal(event?.attributes?.['exception.type'], 'TypeError')
      assert.equal(event?.attributes?.['exception.message'], 'bad input')
      assert.match(String(event?.attributes?.['exception.stacktrace']), /TypeError: bad input/)
    })

    it('should stay UNSET for a server that answered 4xx because of an error, keeping the event', () => {
      const handle = server.start(request)
      handle?.recordError(Object.assign(new Error('no such user'), { statusCode: 404 }))
      handle?.finish({ statusCode: 404 })
      const span = sdk.only()
      assert.equal(span.status.code, SpanStatusCode.UNSET)
      assert.equal(span.attributes['error.type'], undefined)
      assert.equal(span.attributes['http.response.status_code'], 404)
      assert.deepEqual(
        span.events.map((event) => event.attributes?.['exception.message']),
        ['no such user'],
      )
    })

    it('should record an error logged by the app and then failing the span as one event', async () => {
      const failure = new Error('db down')
      await assert.rejects(
        startActiveSpan(
          'load',
          (span) => {
            span.setTag('error', true)
            span.log({ event: 'error', 'error.object': failure, message: failure.message })
            return Promise.reject(failure)
          },
          { tracer },
        ),
        failure,
      )
      const span = sdk.only()
      assert.equal(span.status.code, SpanStatusCode.ERROR)
      assert.deepEqual(
        span.events.map((event) => [event.name, event.attributes?.['exception.message']]),
        [['exception', 'db down']],
      )
    })

    it("should leave a caller's abort UNSET and a transport failure ERROR", () => {
      const abort = new DOMException('aborted', 'AbortError')
      client
        .start({ method: 'GET', url: 'http://a.test/' })
        ?.finish({ error: abort, aborted: true })
      const refused = Object.assign(new Error('connect ECONNREFUSED'), { code: 'ECONNREFUSED' })
      client.start({ method: 'GET', url: 'http://b.test/' })?.finish({ error: refused })
      const [aborted, failed] = sdk.spans()
      assert.equal(aborted?.status.code, SpanStatusCode.UNSET)
      assert.equal(aborted?.attributes['error.type'], undefined)
      assert.equal(aborted?.events.length, 0)
      assert.equal(failed?.status.code, SpanStatusCode.ERROR)
      assert.equal(failed?.attributes['error.type'], 'ECONNREFUSED')
      assert.equal(failed?.events.length, 1)
    })

    it('should never set OK, whatever the error tag says', () => {
      const span = tracer.startSpan('job', { tags: { error: false } })
      span.setTag('error', false)
      span.finish()
      assert.equal(sdk.only().status.code, SpanStatusCode.UNSET)
    })

    it('should keep what an error logged without an Error object says', () => {
      const span = tracer.startSpan('job')
      span.log({ event: 'error', 'error.object': 'timed out' })
      span.log({ event: 'retry', cause: new RangeError('too far') })
      span.finish()
      const { events } = sdk.only()
      assert.equal(events[0]?.name, 'exception')
      assert.equal(events[0]?.attributes?.['exception.message'], 'timed out')
      assert.equal(events[1]?.attributes?.cause, 'RangeError: too far')
    })

    it('should take the last error tag set, as OpenTracing does', () => {
      const span = tracer.startSpan('job', { tags: { error: true } })
      span.setTag('error', false)
      span.finish()
      assert.equal(sdk.only().status.code, SpanStatusCode.UNSET)
    })

    it('should count an error tag given at start', () => {
      tracer.startSpan('job', { tags: { error: true } }).finish()
      const span = sdk.only()
      assert.equal(span.status.code, SpanStatusCode.ERROR)
      assert.equal(span.attributes['error.type'], '_OTHER')
    })
  })

  it('should make the first childOf the parent and other references links', () => {
    const parent = tracer.startSpan('parent')
    const other = tracer.startSpan('other')
    const child = tracer.startSpan('child', {
      references: [followsFrom(other.context()), followsFrom(parent.context())],
      childOf: parent,
    })
    for (const span of [child, other, parent]) span.finish()
    const [childSpan, otherSpan, parentSpan] = sdk.spans()
    assert.equal(childSpan?.parentSpanContext?.spanId, parentSpan?.spanContext().spanId)
    assert.equal(childSpan?.spanContext().traceId, parentSpan?.spanContext().traceId)
    assert.deepEqual(
      childSpan?.links.map((link) => [
        link.context.spanId,
        link.attributes?.['opentracing.ref_type'],
      ]),
      [
        [otherSpan?.spanContext().spanId, 'follows_from'],
        [parentSpan?.spanContext().spanId, 'follows_from'],
      ],
    )
  })

  it('should keep timestamps to the microsecond, and export a span finished twice once', () => {
    const start = 1_700_000_000_123.456
    const span: Span = tracer.startSpan('timed', { startTime: start })
    span.finish(start + 2.5)
    span.finish(start + 9)
    const exported = sdk.only()
    assert.deepEqual(exported.startTime, [1_700_000_000, 123_456_000])
    assert.deepEqual(exported.endTime, [1_700_000_000, 125_956_000])
  })

  it('should turn logs into events, stringifying what an attribute cannot hold', () => {
    const span = tracer.startSpan('logged')
    span.log({ event: 'cache.miss', key: 'user:7', detail: { shard: 2 } })
    span.log({ note: 'no event name' })
    span.finish()
    const [first, second] = sdk.only().events
    assert.equal(first?.name, 'cache.miss')
    assert.deepEqual(first?.attributes, { key: 'user:7', detail: '{"shard":2}' })
    assert.equal(second?.name, 'log')
  })

  it('should never throw on a tag or log value no attribute can hold', () => {
    const cyclic: Record<string, unknown> = { host: 'a.test' }
    cyclic.self = cyclic
    const span = tracer.startSpan('odd', { tags: { 'span.kind': 'client', 'http.url': cyclic } })
    span.setTag('error.message', { count: 1n })
    span.setTag('peer.hostname', cyclic)
    span.setTag('http.status_code', Symbol('status'))
    span.setTag('peer.port', Symbol('port'))
    span.setTag('note', Symbol('note'))
    span.log({ event: 'odd', value: cyclic })
    span.finish()
    const { attributes, events } = sdk.only()
    assert.equal(attributes['url.full'], '')
    assert.equal(attributes['server.address'], '')
    assert.equal(attributes['http.response.status_code'], undefined)
    assert.equal(attributes['server.port'], undefined)
    assert.equal(events[0]?.name, 'odd')
  })

  it('should keep no logged error alive, however many a span logs', async () => {
    const span = tracer.startSpan('stream')
    const logged: Array<WeakRef<Error>> = []
    for (let i = 0; i < 50; i++) {
      const error = new Error(`dropped ${i}`)
      logged.push(new WeakRef(error))
      span.log({ event: 'error', 'error.object': error })
    }
    await heapAfterGc()
    const kept = logged.slice(0, -1).filter((error) => error.deref() !== undefined)
    assert.equal(kept.length, 0, 'only the last error may still be referenced')
    span.finish()
    assert.equal(sdk.only().events.length, 50)
  })

  it('should record an error whose getters throw without throwing from log()', () => {
    const error = new Error('db down')
    for (const name of ['stack', 'name', 'message', 'code']) {
      Object.defineProperty(error, name, {
        get() {
          throw new Error(`${name} getter`)
        },
      })
    }
    const span = tracer.startSpan('query')
    span.log({ event: 'error', 'error.object': error, 'error.kind': 'Error', message: 'db down' })
    span.setTag('error', true)
    span.finish()
    const { events, status, attributes } = sdk.only()
    assert.deepEqual(
      events.map((event) => [event.name, event.attributes]),
      [['exception', { 'exception.type': 'Error', 'exception.message': 'db down' }]],
    )
    assert.deepEqual(status, { code: SpanStatusCode.ERROR, message: 'db down' })
    assert.equal(attributes['error.type'], 'Error')
  })

  it('should record an error whose every trap throws, a proxy say, from the log alone', () => {
    const trap = () => {
      throw new Error('trap')
    }
    const error = new Proxy(new Error('db down'), { get: trap, getPrototypeOf: trap })
    const span = tracer.startSpan('query')
    span.log({ event: 'error', 'error.object': error, 'error.kind': 'Error', message: 'db down' })
    span.finish()
    const { events } = sdk.only()
    assert.deepEqual(
      events.map((event) => [event.name, event.attributes]),
      [['exception', { 'exception.type': 'Error', 'exception.message': 'db down' }]],
    )
  })

  it('should write values that serialize to one string as that string, and keep number arrays', () => {
    const span = tracer.startSpan('GET', {
      tags: { 'span.kind': 'client', 'http.url': new URL('https://shop.test/a?b=1') },
    })
    span.addTags({ deadline: new Date(0), 'retry.delays': [100, 200], flags: [true, 'x'] })
    span.finish()
    const { attributes } = sdk.only()
    assert.equal(attributes['url.full'], 'https://shop.test/a?b=1')
    assert.equal(attributes.deadline, '1970-01-01T00:00:00.000Z')
    assert.deepEqual(attributes['retry.delays'], [100, 200])
    assert.equal(attributes.flags, '[true,"x"]')
  })

  it('should read tags as the kind tagged after the start, and say that kind', () => {
    const span = tracer.startSpan('GET /orders/:id')
    span.setTag('span.kind', 'server')
    span.addTags({ 'http.url': 'https://shop.test/orders/7?x=1', 'peer.hostname': 'caller.test' })
    span.addTags({ 'http.status_code': 404, error: true })
    span.finish()
    const { kind, attributes, status } = sdk.only()
    assert.equal(kind, SpanKind.INTERNAL, 'OTel fixes the kind at the start')
    assert.equal(attributes['span.kind'], 'server')
    assert.equal(attributes['url.path'], '/orders/7')
    assert.equal(attributes['url.full'], undefined)
    assert.equal(attributes['client.address'], 'caller.test')
    assert.equal(status.code, SpanStatusCode.UNSET, "a server's 4xx")
  })
})
