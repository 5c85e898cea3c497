import assert from 'node:assert/strict'
import { EventEmitter } from 'node:events'
import { afterEach, describe, it } from 'node:test'
import { RecordingTracer, RecordingSpanContext } from '@tracehop/testing'
import { Tracer, initGlobalTracer, SpanContext, type SpanOptions } from 'opentracing'
import type { ServerSpanHandle } from '../src/server-span.js'
import { createServerTracing } from '../src/server.js'

// Whether the handle watches a response for its end: only when finishing it has an effect.
function watchesResponse(handle: ServerSpanHandle | undefined): boolean {
  const response = Object.assign(new EventEmitter(), {
    statusCode: 200,
    headersSent: true,
    writableFinished: true,
  })
  handle?.finishOnResponseEnd({}, response, () => undefined, undefined)
  return response.listenerCount('close') === 1
}

const request = (headers: Record<string, string> = {}) => ({
  method: 'GET',
  url: '/x',
  headers,
})

describe('server lifecycle', () => {
  afterEach(() => initGlobalTracer(new Tracer()))

  it('should resolve the global tracer per request, so initGlobalTracer may come later', () => {
    const tracing = createServerTracing('test', {})
    const tracer = new RecordingTracer()
    initGlobalTracer(tracer)
    tracing.start(request())?.finish({ statusCode: 200 })
    assert.equal(tracer.finishedSpans().length, 1)
  })

  it('should call a tracer function on each request', () => {
    const tracers = [new RecordingTracer(), new RecordingTracer()]
    let calls = 0
    const tracing = createServerTracing('test', { tracer: () => tracers[calls++ % 2] as Tracer })
    tracing.start(request())?.finish({})
    tracing.start(request())?.finish({})
    assert.deepEqual(
      tracers.map((tracer) => tracer.finishedSpans().length),
      [1, 1],
    )
  })

  it('should give startSpan a fresh options object every time', () => {
    const seen: SpanOptions[] = []
    class SpyTracer extends RecordingTracer {
      override startSpan(name: string, options: SpanOptions = {}) {
        seen.push(options)
        return super.startSpan(name, options)
      }
    }
    const tracing = createServerTracing('test', { tracer: new SpyTracer() })
    const parent = '00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01'
    tracing.start(request({ traceparent: parent }))?.finish({})
    tracing.start(request({ traceparent: parent }))?.finish({})
    assert.equal(seen.length, 2)
    assert.notEqual(seen[0], seen[1])
    assert.notEqual(seen[0]?.tags, seen[1]?.tags)
  })

  it('should start a root span for contexts that cannot parent one', () => {
    const contexts: unknown[] = [
      null,
      undefined,
      'junk',
      new SpanContext(),
      { isValid: false, toTraceId: () => 'abc' },
      new RecordingSpanContext('0', 'b7ad6b7169203331'),
      new RecordingSpanContext('1zzz', 'b7ad6b7169203331'),
      new RecordingSpanContext('0'.repeat(32), 'b7ad6b7169203331'),
      {
        toTraceId: () => {
          throw new Error('no id')
        },
      },
    ]
    for (const context of contexts) {
      class FixedExtract extends RecordingTracer {
        protected override _extract(): RecordingSpanContext | null {
          return context as RecordingSpanContext | null
        }
      }
      const tracer = new FixedExtract()
      createServerTracing('test', { tracer }).start(request())?.finish({})
      assert.equal(tracer.finishedSpans()[0]?.parentId, undefined, String(context))
    }
  })

  it('should bound unknown methods to _OTHER, named HTTP', () => {
    const tracer = new RecordingTracer()
    const tracing = createServerTracing('test', { tracer })
    for (const method of ['get', 'PURGE', 'M'.repeat(100)]) {
      tracing.start({ ...request(), method })?.finish({ statusCode: 200, route: '/x' })
    }
    assert.deepEqual(
      tracer
        .finishedSpans()
        .map((span) => [
          span.operationName,
          span.tags['http.method'],
          span.tags['http.request.method_original'],
        ]),
      [
        ['GET /x', 'GET', undefined],
        ['HTTP /x', '_OTHER', 'PURGE'],
        ['HTTP /x', '_OTHER', 'M'.repeat(100)],
      ],
    )
  })

  it('should record the first error once, at finish', () => {
    const tracer = new RecordingTracer()
    const handle = createServerTracing('test', { tracer }).start(request())
    const first = new Error('first')
    handle?.recordError(first)
    handle?.recordError(new Error('second'))
    handle?.finish({ statusCode: 500 })
    handle?.finish({ statusCode: 200 })
    const [span] = tracer.finishedSpans()
    assert.equal(span?.finishCount, 1)
    assert.equal(span?.logs.length, 1)
    assert.equal(span?.logs[0]?.fields['error.object'], first)
  })

  it('should finish with an error whose every trap throws, a proxy say', () => {
    const tracer = new RecordingTracer()
    const trap = () => {
      throw new Error('trap')
    }
    const error = new Proxy(new Error('db down'), { get: trap, getPrototypeOf: trap })
    const handle = createServerTracing('test', { tracer }).start(request())
    handle?.recordError(error)
    handle?.finish({ statusCode: 500 })
    const [span] = tracer.finishedSpans()
    assert.equal(span?.finishCount, 1)
    assert.equal(span?.tags.error, true)
    assert.equal(span?.logs[0]?.fields['error.object'], error)
  })

  it('should not tag an aborted request as an error', () => {
    const tracer = new RecordingTracer()
    createServerTracing('test', { tracer }).start(request())?.finish({ aborted: true })
    const [span] = tracer.finishedSpans()
    assert.equal(span?.tags['http.aborted'], true)
    assert.equal(span?.tags.error, undefined)
    assert.equal(span?.tags['http.status_code'], undefined)
  })

  it('should not trust incoming context when the predicate says no or throws', () => {
    const tracer = new RecordingTracer()
    const header = { traceparent: '00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01' }
    const tracing = createServerTracing('test', {
      tracer,
      trustIncoming: (req) => {
        if (req.remoteAddress === 'boom') throw new Error('boom')
        return req.remoteAddress === '10.0.0.1'
      },
      onError: () => undefined,
    })
    for (const remoteAddress of ['10.0.0.1', '10.0.0.2', 'boom']) {
      tracing.start({ ...request(header), remoteAddress })?.finish({})
    }
    assert.deepEqual(
      tracer.finishedSpans().map((span) => span.parentId),
      ['b7ad6b7169203331', undefined, undefined],
    )
  })

  it('should tag the scheme of a target that is not an absolute URL, whatever its query holds', () => {
    const tracer = new RecordingTracer()
    const tracing = createServerTracing('test', { tracer })
    const targets: Array<[url: string, host: string | undefined, scheme: string | undefined]> = [
      ['/login?next=https://shop.test/home', undefined, 'https'],
      ['http://shop.test/home', undefined, undefined],
      ['/home', 'shop.test', undefined],
    ]
    for (const [url, host, scheme] of targets) {
      tracing.start({ ...request(), url, host, protocol: 'https' })?.finish({ statusCode: 200 })
      const span = tracer.finishedSpans().at(-1)
      assert.equal(span?.tags['url.scheme'], scheme, url)
    }
  })

  it('should match `ignore` against the path, even one that holds a URL', () => {
    const tracer = new RecordingTracer()
    const tracing = createServerTracing('test', { tracer, ignore: ['/', '/healthz'] })
    const targets = ['/thumb/https://cdn.test', '/thumb/http://x/healthz', '/', 'http://h/healthz']
    const started = targets.map((url) => tracing.start({ ...request(), url }) !== undefined)
    assert.deepEqual(started, [true, true, false, false])
  })

  it('should record IPv6 and IPv4-mapped peers', () => {
    const tracer = new RecordingTracer()
    const tracing = createServerTracing('test', { tracer })
    tracing.start({ ...request(), remoteAddress: '::1', remotePort: 5 })?.finish({})
    tracing.start({ ...request(), remoteAddress: '::ffff:10.1.2.3' })?.finish({})
    const [v6, v4] = tracer.finishedSpans()
    assert.equal(v6?.tags['peer.ipv6'], '::1')
    assert.equal(v6?.tags['peer.port'], 5)
    assert.equal(v4?.tags['peer.ipv4'], '10.1.2.3')
  })

  it('should read each peer address anew, repeated or not', () => {
    const tracer = new RecordingTracer()
    const tracing = createServerTracing('test', { tracer })
    const addresses = ['10.0.0.1', '10.0.0.1', 'unknown', '::1', '::1', '10.0.0.2', 'unknown']
    for (const remoteAddress of addresses) {
      tracing.start({ ...request(), remoteAddress })?.finish({})
    }
    const peers = tracer
      .finishedSpans()
      .map((span) => span.tags['peer.ipv4'] ?? span.tags['peer.ipv6'] ?? '-')
    assert.deepEqual(peers, ['10.0.0.1', '10.0.0.1', '-', '::1', '::1', '10.0.0.2', '-'])
  })

  it('should not count the error of an aborted request unless the status is 5xx', () => {
    const tracer = new RecordingTracer()
    const tracing = createServerTracing('test', { tracer })
    tracing.start(request())?.finish({ aborted: true, error: new Error('request aborted') })
    tracing.start(request())?.finish({ aborted: true, statusCode: 503, error: new Error('x') })
    assert.deepEqual(
      tracer.finishedSpans().map((span) => span.tags.error),
      [undefined, true],
    )
  })

  it('should write no trace id header a client could not parse', () => {
    class OddIds extends RecordingTracer {
      override startSpan(name: string, options?: SpanOptions) {
        const span = super.startSpan(name, options)
        Object.defineProperty(span.context(), 'toTraceId', { value: () => 'a\nb' })
        return span
      }
    }
    const handle = createServerTracing('test', {
      tracer: new OddIds(),
      traceResponseHeader: true,
    }).start(request())
    assert.ok(handle)
    assert.equal(handle.traceHeader, undefined)
    handle.finish({})
  })

  it('should watch the response only when finishing it has an effect', () => {
    const watched = [
      { tracer: new Tracer() },
      { tracer: new Tracer(), onFinish: () => undefined },
      { tracer: new RecordingTracer() },
    ].map((options) => watchesResponse(createServerTracing('test', options).start(request())))
    assert.deepEqual(watched, [false, true, true])
  })

  it("should skip extract and tags for opentracing's no-op tracer, unless a hook reads them", () => {
    let trustCalls = 0
    const trustIncoming = () => {
      trustCalls++
      return true
    }
    const states: Array<string | undefined> = []
    const noop = createServerTracing('test', { tracer: new Tracer(), trustIncoming })
    const quiet = noop.start(request({ traceparent: '00-1-2-01' }))
    assert.equal(watchesResponse(quiet), false)
    assert.equal(trustCalls, 0)
    quiet?.finish({ statusCode: 200, route: '/x' })
    assert.equal(quiet?.isFinished, true)

    const hooked = createServerTracing('test', {
      tracer: new Tracer(),
      onFinish: ({ route }) => states.push(route),
    }).start(request())
    assert.equal(watchesResponse(hooked), true)
    hooked?.finish({ statusCode: 200, route: '/x' })
    assert.deepEqual(states, ['/x'])

    // Through the global tracer, only the no-op spans show it: finish() still skips the result.
    initGlobalTracer(new Tracer())
    const viaGlobal = createServerTracing('test', { trustIncoming }).start(request())
    assert.equal(watchesResponse(viaGlobal), false)
    viaGlobal?.finish({ statusCode: 200 })
    const recordingTracer = new RecordingTracer()
    initGlobalTracer(recordingTracer)
    const nowRecorded = createServerTracing('test', { trustIncoming }).start(request())
    assert.equal(watchesResponse(nowRecorded), true)
    nowRecorded?.finish({ statusCode: 200, route: '/x' })
    assert.equal(recordingTracer.finishedSpans()[0]?.operationName, 'GET /x')
    trustCalls = 0

    // A tracer built on opentracing's class but starting its own spans records as usual.
    class OwnSpans extends Tracer {
      readonly tracer = new RecordingTracer()
      protected override _startSpan(name: string, options: SpanOptions) {
        return this.tracer.startSpan(name, options)
      }
    }
    const own = new OwnSpans()
    const recorded = createServerTracing('test', { tracer: own, trustIncoming }).start(request())
    assert.equal(watchesResponse(recorded), true)
    assert.equal(trustCalls, 1)
    recorded?.finish({ statusCode: 200, route: '/x' })
    assert.equal(own.tracer.finishedSpans()[0]?.operationName, 'GET /x')
  })

  it("should read the adapter's request only when something needs it, and once", () => {
    const source = { id: 'raw request' }
    let reads = 0
    const read = (raw: typeof source) => {
      reads++
      return { ...request(), url: `/${raw.id}?x=1` }
    }
    const startWith = (options: Parameters<typeof createServerTracing>[1]) => {
      reads = 0
      return createServerTracing('test', options).start(source, read)
    }

    // No-op tracer, nothing else: the request is never read, and the span does not keep it.
    const quiet = startWith({ tracer: new Tracer() })
    quiet?.finish({ statusCode: 200 })
    assert.equal(reads, 0)
    assert.equal(quiet?.request, undefined)
    assert.ok(!Object.values(quiet ?? {}).includes(source))

    // Each of ignore and the hooks needs it, once.
    const ignored = startWith({ tracer: new Tracer(), ignore: ['/raw request'] })
    assert.deepEqual([ignored, reads], [undefined, 1])
    startWith({ tracer: new Tracer(), ignore: ['/other'], onStart: () => undefined })
    assert.equal(reads, 1)
    const urls: string[] = []
    const hooked = startWith({
      tracer: new Tracer(),
      onFinish: (state) => urls.push(`${state.method} ${state.request.url}`),
    })
    hooked?.finish({ statusCode: 200 })
    assert.deepEqual([urls, reads], [['GET /raw request?x=1'], 1])

    // A recording tracer reads it once, for the start tags, and finish() reuses it.
    const tracer = new RecordingTracer()
    startWith({ tracer, ignore: ['/other'], onStart: () => undefined })?.finish({ statusCode: 200 })
    assert.equal(reads, 1)
    assert.equal(tracer.finishedSpans()[0]?.tags['http.url'], '/raw request?x=1')
  })
})
