// One regression test per advisory or bug report on span lifecycle, context, app behaviour and
// the outbound clients, each titled after the advisory or report it guards against.
import assert from 'node:assert/strict'
import http from 'node:http'
import type { Socket } from 'node:net'
import { Readable } from 'node:stream'
import { setTimeout as sleep } from 'node:timers/promises'
import { afterEach, describe, it } from 'node:test'
import { registerTracingInterceptor } from '@tracehop/axios'
import { activeSpan, startActiveSpan, traceIds } from '@tracehop/core'
import { tracingErrorHandler, tracingMiddleware } from '@tracehop/express'
import { tracingPlugin } from '@tracehop/fastify'
import { tracedFetch } from '@tracehop/fetch'
import { RecordingTracer, assertFinishedOnce, parseTraceParent } from '@tracehop/testing'
import axios from 'axios'
import express from 'express'
import fastify from 'fastify'
import { Tracer } from 'opentracing'
import { useEchoServer } from '../support/echo-server.js'
import { expressContractApp } from '../support/express-app.js'
import {
  abortAfter,
  abortAfterFirstChunk,
  finishedSpans,
  listen,
  listenFastify,
  send,
  type RunningServer,
} from '../support/net.js'

let server: RunningServer | undefined
afterEach(async () => {
  await server?.close()
  server = undefined
})
const started = (running: RunningServer) => (server = running)

describe('regressions: span lifecycle', () => {
  it('opentelemetry-js-contrib#3461/#3462, opentelemetry-js#3407: an aborted response finishes its span on close', async () => {
    const tracer = new RecordingTracer()
    const { url } = started(await expressContractApp(express)({ tracer }))
    await abortAfterFirstChunk(`${url}/hang`)
    const [span] = await finishedSpans(tracer)
    assert.equal(span?.tags['http.aborted'], true)
  })

  it('instana/nodejs#548: a request aborted before any answer is not recorded with a status', async () => {
    const tracer = new RecordingTracer()
    const { url } = started(await expressContractApp(express)({ tracer }))
    await abortAfter(`${url}/active?delay=300`, 50)
    const [span] = await finishedSpans(tracer)
    assert.equal(span?.tags['http.status_code'], undefined)
    assert.equal(span?.tags['http.aborted'], true)
  })

  it('elysiajs/opentelemetry#62: child spans of an aborted request still finish', async () => {
    const tracer = new RecordingTracer()
    const app = express()
    app.use(tracingMiddleware({ tracer }))
    app.get('/slow', (_req, res) => {
      void startActiveSpan('child', () => sleep(150)).then(() => res.end('late'))
    })
    const { url } = started(await listen(app))
    await abortAfter(`${url}/slow`, 30)
    const spans = await finishedSpans(tracer, 2)
    assert.deepEqual(spans.map((span) => span.operationName).sort(), ['GET /slow', 'child'])
    assertFinishedOnce(tracer.spans())
  })

  it('fastify/fastify#4690: an abort after the body was read is still seen', async () => {
    const tracer = new RecordingTracer()
    const app = fastify()
    await app.register(tracingPlugin, { tracer })
    app.post('/slow', async () => {
      await sleep(300)
      return { ok: true }
    })
    const { url } = started(await listenFastify(app))
    const request = http.request(`${url}/slow`, { method: 'POST', agent: false })
    request.on('error', () => undefined)
    request.setHeader('content-type', 'application/json')
    request.end('{"a":1}')
    await sleep(80)
    request.destroy()
    const [span] = await finishedSpans(tracer)
    assert.equal(span?.tags['http.aborted'], true)
  })

  it('opentelemetry-js#908, opentelemetry-js-contrib#1887: a 4-argument error handler never finishes the span twice', async () => {
    const tracer = new RecordingTracer()
    const { url } = started(await expressContractApp(express)({ tracer }))
    assert.equal((await send(`${url}/fail`)).status, 500)
    const [span] = await finishedSpans(tracer)
    assert.equal(span?.tags.error, true)
    assert.equal(span?.logs.filter(({ fields }) => fields.event === 'error').length, 1)
    assertFinishedOnce(tracer.spans())
  })

  it('DataDog/dd-trace-js#1269, kamon-io/Kamon#703: a piped stream is traced to its last byte', async () => {
    const tracer = new RecordingTracer()
    const app = express()
    app.use(tracingMiddleware({ tracer }))
    app.get('/piped', (_req, res) => {
      async function* chunks() {
        for (const chunk of ['a', 'b', 'c']) {
          await sleep(40)
          yield chunk
        }
      }
      Readable.from(chunks()).pipe(res)
    })
    const { url } = started(await listen(app))
    assert.equal((await send(`${url}/piped`)).body, 'abc')
    const [span] = await finishedSpans(tracer)
    assert.ok((span?.duration ?? 0) >= 100, `${span?.duration} ms`)
  })

  it('opentelemetry-js-contrib#2355: a Fastify preHandler hook does not end the span before the handler', async () => {
    const tracer = new RecordingTracer()
    const app = fastify()
    await app.register(tracingPlugin, { tracer })
    app.addHook('preHandler', async () => sleep(1))
    app.get('/work', async (request) => {
      await sleep(60)
      return { same: activeSpan() === request.span && request.span !== null }
    })
    const { url } = started(await listenFastify(app))
    assert.equal((await send(`${url}/work`)).body, '{"same":true}')
    const [span] = await finishedSpans(tracer)
    assert.ok((span?.duration ?? 0) >= 60, `${span?.duration} ms`)
  })
})

describe('regressions: context', () => {
  it('elysiajs/opentelemetry#57: after an aborted request, fresh requests get trace ids of their own', async () => {
    const tracer = new RecordingTracer()
    const { url } = started(await expressContractApp(express)({ tracer }))
    await abortAfterFirstChunk(`${url}/hang`)
    for (let i = 0; i < 5; i++) await send(`${url}/users/${i}`)
    const traces = (await finishedSpans(tracer, 6)).map((span) => span.traceId)
    assert.equal(new Set(traces).size, 6)
  })

  it('nodejs/node#34400: a keep-alive agent with maxSockets 1 never hands one call’s context to the next', async () => {
    const tracer = new RecordingTracer()
    const backend = started(await listen((_req, res) => res.end('ok')))
    const client = axios.create({ httpAgent: new http.Agent({ keepAlive: true, maxSockets: 1 }) })
    registerTracingInterceptor(client, { tracer })
    const parents = await Promise.all(
      ['a', 'b', 'c'].map((name) =>
        startActiveSpan(name, async (span) => {
          await client.get(backend.url)
          return span
        }),
      ),
    )
    const calls = tracer.finishedSpans().filter((span) => span.tags['span.kind'] === 'client')
    assert.deepEqual(
      calls.map((call) => call.parentId).sort(),
      parents.map((parent) => traceIds(parent)?.spanId).sort(),
    )
  })

  it('nodejs/node#41285, opentelemetry-js#1152: the request span is active after express.json() read the body', async () => {
    const tracer = new RecordingTracer()
    const { url } = started(await expressContractApp(express)({ tracer }))
    const response = await send(`${url}/echo`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: '{"a":1}',
    })
    const [span] = await finishedSpans(tracer)
    assert.equal((JSON.parse(response.body) as { spanId: string }).spanId, span?.spanId)
  })

  it('nodejs/node#62290 (enterWith differs on Node 20 and 24): no span outlives its request', async () => {
    const tracer = new RecordingTracer()
    const { url } = started(await expressContractApp(express)({ tracer }))
    await send(`${url}/active?delay=5`)
    await new Promise((resolve) => setImmediate(resolve))
    assert.equal(activeSpan(), undefined)
  })

  it('DataDog/dd-trace-js#210: no listener is added per request to a kept-alive socket', async () => {
    const app = express()
    app.use(tracingMiddleware({ tracer: new RecordingTracer() }))
    app.get('/', (_req, res) => res.end('ok'))
    const sockets: Socket[] = []
    const httpServer = http.createServer(app).on('connection', (socket) => sockets.push(socket))
    const { url } = started(await listen(httpServer))
    const agent = new http.Agent({ keepAlive: true, maxSockets: 1 })
    const listeners = () => sockets[0]?.eventNames().map((name) => sockets[0]?.listenerCount(name))
    await send(url, { agent })
    const before = listeners()
    for (let i = 0; i < 200; i++) await send(url, { agent })
    assert.equal(sockets.length, 1)
    assert.deepEqual(listeners(), before)
    agent.destroy()
  })
})

describe('regressions: app behaviour', () => {
  it('opentelemetry-js-contrib#975, expressjs/express#2990: the middleware has arity 3, the error handler 4', () => {
    assert.equal(tracingMiddleware().length, 3)
    assert.equal(tracingErrorHandler().length, 4)
  })

  it('ApplicationInsights-JS#2749, DataDog/dd-trace-js#2456: startActiveSpan rethrows the same error, sync and async', async () => {
    const error = new Error('mine')
    assert.throws(
      () =>
        startActiveSpan('sync', () => {
          throw error
        }),
      (thrown) => thrown === error,
    )
    await assert.rejects(
      startActiveSpan('async', () => Promise.reject(error)),
      (thrown) => thrown === error,
    )
  })

  it('cap-js/telemetry#94: opentracing’s no-op tracer (no-op spans and contexts) breaks nothing', async () => {
    const { url } = started(await expressContractApp(express)({ tracer: new Tracer() }))
    assert.equal((await send(`${url}/users/1`)).body, '{"id":"1"}')
    assert.equal((await send(`${url}/fail`)).status, 500)
  })

  it('microsoft/ApplicationInsights-node.js#252: no trace id header is set once headers were sent', async () => {
    const app = express()
    app.use((_req, res, next) => {
      res.writeHead(200, { 'content-type': 'text/plain' }).write('early ')
      next()
    })
    app.use(tracingMiddleware({ tracer: new RecordingTracer(), traceResponseHeader: true }))
    app.get('/', (_req, res) => res.end('then late'))
    const { url } = started(await listen(app))
    const response = await send(url)
    assert.equal(response.body, 'early then late')
    assert.equal(response.headers['x-trace-id'], undefined)
  })
})

describe('regressions: outbound clients', () => {
  const echo = useEchoServer()
  const sentTraceparents = () =>
    echo.received.map(({ rawHeaders }) =>
      rawHeaders.filter((_, i) => i % 2 === 0 && rawHeaders[i]?.toLowerCase() === 'traceparent'),
    )

  it('aws/aws-sdk-js#4472, opentelemetry-js-contrib#1609: a retried axios config keeps the caller’s headers untouched', async () => {
    echo.received.length = 0
    const client = axios.create()
    registerTracingInterceptor(client, { tracer: new RecordingTracer() })
    const headers = { 'x-signature': 'signed-over-these-headers' }
    const config = { url: `${echo.url}/retry`, headers }
    for (let attempt = 0; attempt < 3; attempt++) await client.request(config)
    assert.deepEqual(headers, { 'x-signature': 'signed-over-these-headers' })
    assert.equal(config.headers, headers)
    assert.deepEqual(
      sentTraceparents().map((lines) => lines.length),
      [1, 1, 1],
    )
  })

  it('axios/axios#7044: a throwing async request interceptor reaches the caller as the same error', async () => {
    const tracer = new RecordingTracer()
    const client = axios.create()
    registerTracingInterceptor(client, { tracer })
    const error = new Error('interceptor failed')
    client.interceptors.request.use(() => Promise.reject(error))
    await assert.rejects(client.get(echo.url), (thrown) => thrown === error)
    assert.deepEqual(tracer.openSpans(), [])
  })

  it('openzipkin/zipkin-js#356: tracing one axios instance leaves the global axios untouched', async () => {
    echo.received.length = 0
    registerTracingInterceptor(axios.create(), { tracer: new RecordingTracer() })
    await startActiveSpan('parent', () => axios.get(echo.url), { tracer: new RecordingTracer() })
    assert.deepEqual(sentTraceparents(), [[]])
  })

  it('DataDog/dd-trace-js#6129, #3443: fetch(new Request(url), { headers }) sends both the user headers and the trace', async () => {
    echo.received.length = 0
    const tracer = new RecordingTracer()
    const tracedGlobalFetch = tracedFetch(globalThis.fetch, { tracer })
    await tracedGlobalFetch(new Request(echo.url), { headers: { 'x-user': 'kept' } })
    const [received] = echo.received
    const [span] = tracer.finishedSpans()
    assert.equal(received?.headers['x-user'], 'kept')
    assert.equal(parseTraceParent(String(received?.headers.traceparent))?.spanId, span?.spanId)
  })

  it('PostHog/posthog-js#2902, nodejs/node#46221: a Request with a stream body goes through tracedFetch', async () => {
    echo.received.length = 0
    const body = new ReadableStream<Uint8Array>({
      start(controller) {
        controller.enqueue(new TextEncoder().encode('streamed'))
        controller.close()
      },
    })
    const request = new Request(`${echo.url}/upload`, { method: 'POST', body, duplex: 'half' })
    const response = await tracedFetch(globalThis.fetch, { tracer: new RecordingTracer() })(request)
    assert.equal(response.status, 200)
    assert.equal(echo.received[0]?.body, 'streamed')
  })
})
