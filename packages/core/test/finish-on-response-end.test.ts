import assert from 'node:assert/strict'
import { EventEmitter, once } from 'node:events'
import http from 'node:http'
import net from 'node:net'
import { afterEach, describe, it } from 'node:test'
import { RecordingTracer, type RecordingSpan } from '@tracehop/testing'
import { listen, waitFor, type RunningServer } from '../../../test/support/net.js'
import type { ResponseLike } from '../src/response-end.js'
import { createServerTracing } from '../src/server.js'
import type { ServerTracingOptions } from '../src/types.js'

class FakeResponse extends EventEmitter implements ResponseLike {
  constructor(
    public statusCode: number,
    public headersSent: boolean,
    public writableFinished: boolean,
  ) {
    super()
  }
}

// Starts a span, finishes it with `response`'s end, and returns the recorded span.
function finishedWith(
  response: FakeResponse,
  routeOf: (source: string) => string | undefined,
  options: ServerTracingOptions = {},
): RecordingSpan {
  const tracer = new RecordingTracer()
  const tracing = createServerTracing('test', { tracer, ...options })
  const handle = tracing.start({ method: 'GET', url: '/users/7', headers: {} })
  assert.ok(handle)
  handle.finishOnResponseEnd({}, response, routeOf, 'source')
  response.emit('close')
  const [span, ...others] = tracer.finishedSpans()
  assert.ok(span)
  assert.equal(others.length, 0)
  return span
}

describe('ServerSpanHandle.finishOnResponseEnd', () => {
  let running: RunningServer | undefined
  afterEach(async () => {
    await running?.close()
    running = undefined
  })

  it('should record the status of a sent response and the route its source names', () => {
    const sources: string[] = []
    const routeOf = (source: string) => {
      sources.push(source)
      return '/users/:id'
    }
    const span = finishedWith(new FakeResponse(503, true, true), routeOf)
    assert.deepEqual(sources, ['source'])
    assert.equal(span.operationName, 'GET /users/:id')
    assert.equal(span.tags['http.route'], '/users/:id')
    assert.equal(span.tags['http.status_code'], 503)
    assert.equal(span.tags.error, true)
    assert.equal(span.tags['http.aborted'], undefined)
  })

  it('should record a cut response as aborted, with a status only once headers were sent', () => {
    const before = finishedWith(new FakeResponse(200, false, false), () => undefined)
    assert.equal(before.tags['http.aborted'], true)
    assert.equal(before.tags['http.status_code'], undefined)
    assert.equal(before.tags.error, undefined)
    assert.equal(before.operationName, 'GET')
    const after = finishedWith(new FakeResponse(200, true, false), () => undefined)
    assert.equal(after.tags['http.aborted'], true)
    assert.equal(after.tags['http.status_code'], 200)
  })

  it('should record a response the server cut short (failResponse) as a failure, not an abort', () => {
    const tracer = new RecordingTracer()
    const aborted: boolean[] = []
    const tracing = createServerTracing('test', {
      tracer,
      onFinish: (state) => aborted.push(state.aborted),
    })
    const handle = tracing.start({ method: 'GET', url: '/file', headers: {} })
    const response = new FakeResponse(200, true, false)
    handle?.finishOnResponseEnd({}, response, () => '/file', 'source')
    handle?.failResponse(new Error('disk read failed'))
    response.emit('close')
    const [span] = tracer.finishedSpans()
    assert.equal(span?.tags['http.status_code'], 200)
    assert.equal(span?.tags['http.aborted'], undefined)
    assert.equal(span?.tags.error, true)
    assert.deepEqual(
      span?.logs.map((log) => log.fields.message),
      ['disk read failed'],
    )
    assert.deepEqual(aborted, [false])
  })

  it('should finish named by the method, and report, when the route reader throws', () => {
    const reported: string[] = []
    const span = finishedWith(
      new FakeResponse(200, true, true),
      () => {
        throw new Error('router bug')
      },
      { onError: (_error, where) => reported.push(where) },
    )
    assert.equal(span.operationName, 'GET')
    assert.equal(span.tags['http.status_code'], 200)
    assert.deepEqual(reported, ['route'])
  })

  it('should record a connection the server timed out as an error, not an abort', async () => {
    const tracer = new RecordingTracer()
    const tracing = createServerTracing('test', { tracer })
    const server = http.createServer((req, res) => {
      const handle = tracing.start({ method: 'GET', url: req.url ?? '/', headers: req.headers })
      handle?.finishOnResponseEnd(req, res, () => undefined, undefined)
    })
    server.setTimeout(100)
    running = await listen(server)
    const socket = net.connect(running.port, '127.0.0.1')
    socket.write('GET /slow HTTP/1.1\r\nHost: x\r\n\r\n')
    await once(socket, 'close')
    await waitFor(() => tracer.finishedSpans().length === 1, 'the span')
    const span = tracer.finishedSpans()[0] as RecordingSpan
    assert.equal(span.tags.error, true)
    assert.equal(span.tags['error.type'], 'ConnectionTimeoutError')
    assert.equal(span.tags['http.aborted'], undefined)
    assert.equal(span.tags['http.status_code'], undefined)
  })

  it('should record a cut response as it was when its connection closed, not as written after', async () => {
    // The span finishes a little after the close; a reply written into the closed connection in
    // between (a framework answering the abort with an error) reached no client.
    const tracer = new RecordingTracer()
    const tracing = createServerTracing('test', { tracer })
    let received = false
    const server = http.createServer((req, res) => {
      const handle = tracing.start({ method: 'POST', url: req.url ?? '/', headers: req.headers })
      handle?.finishOnResponseEnd(req, res, () => undefined, undefined)
      req.on('close', () => res.writeHead(500).end('too late'))
      received = true
    })
    running = await listen(server)
    const socket = net.connect(running.port, '127.0.0.1')
    socket.write('POST /upload HTTP/1.1\r\nHost: x\r\nContent-Length: 10\r\n\r\nabc')
    await waitFor(() => received, 'the request')
    socket.destroy()
    await waitFor(() => tracer.finishedSpans().length === 1, 'the span')
    const span = tracer.finishedSpans()[0] as RecordingSpan
    assert.equal(span.tags['http.aborted'], true)
    assert.equal(span.tags['http.status_code'], undefined)
    assert.equal(span.tags.error, undefined)
  })

  it('should watch nothing when finishing would have no effect', () => {
    const tracing = createServerTracing('test', {
      tracer: new (class extends RecordingTracer {})(),
    })
    const noop = createServerTracing('test', {})
    const response = new FakeResponse(200, true, true)
    noop
      .start({ method: 'GET', url: '/', headers: {} })
      ?.finishOnResponseEnd({}, response, () => '/', 0)
    assert.equal(response.listenerCount('close'), 0)
    tracing
      .start({ method: 'GET', url: '/', headers: {} })
      ?.finishOnResponseEnd({}, response, () => '/', 0)
    assert.equal(response.listenerCount('close'), 1)
  })
})
