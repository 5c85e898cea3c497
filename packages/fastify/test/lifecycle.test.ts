// The request's span across Fastify's whole lifecycle, beyond the handler: hooks that run from
// another async context (a reply sent from another request's callback, an abort, a timeout), a
// body stream that fails mid-response, a hijacked reply.
import assert from 'node:assert/strict'
import { EventEmitter } from 'node:events'
import http from 'node:http'
import { PassThrough } from 'node:stream'
import { describe, it } from 'node:test'
import { setTimeout as sleep } from 'node:timers/promises'
import { traceIds } from '@tracehop/core'
import { tracingPlugin, type FastifyTracingOptions } from '@tracehop/fastify'
import type { RecordingSpan } from '@tracehop/testing'
import fastify5, { type FastifyInstance, type FastifyRequest } from 'fastify'
import fastify4 from 'fastify4'
import type { FastifyModule } from '../../../test/support/fastify-app.js'
import {
  abortAfter,
  finishedSpans,
  listenFastify,
  send,
  waitFor,
} from '../../../test/support/net.js'
import { useRecordingTracer } from '../../../test/support/recording-tracer.js'

const majors: Array<[string, FastifyModule]> = [
  ['Fastify 5', fastify5 as FastifyModule],
  ['Fastify 4', fastify4 as unknown as FastifyModule],
]

// Sends a request and resolves once its response ended, in full or cut off by the server.
function receive(url: string): Promise<{ status: number | undefined; body: string; cut: boolean }> {
  return new Promise((resolve, reject) => {
    const request = http.get(url, { agent: false }, (response) => {
      let body = ''
      response.setEncoding('utf8')
      response.on('data', (chunk: string) => (body += chunk))
      response.on('close', () => {
        resolve({ status: response.statusCode, body, cut: !response.complete })
      })
    })
    request.on('error', reject)
  })
}

for (const [label, fastify] of majors) {
  describe(`${label}: the span across the lifecycle`, () => {
    const recording = useRecordingTracer()
    const traced = async (
      serverOptions: Parameters<FastifyModule>[0] = {},
      options: FastifyTracingOptions = {},
    ) => {
      const app = fastify({ forceCloseConnections: true, ...serverOptions })
      await app.register(tracingPlugin, { tracer: recording.tracer, ...options })
      return app
    }
    const serve = async (app: FastifyInstance) => {
      recording.server = await listenFastify(app)
      return recording.server.url
    }
    const spanOf = (request: FastifyRequest) => request.span as RecordingSpan

    it('should run hooks after a reply sent from another request’s callback in its own span', async () => {
      const app = await traced()
      const bus = new EventEmitter()
      // Per path and hook: whether the active span was the request's own.
      const own: Record<string, boolean> = {}
      const check = (hook: string, request: FastifyRequest) => {
        own[`${request.routeOptions.url} ${hook}`] = traceIds()?.spanId === spanOf(request).spanId
      }
      app.addHook('preSerialization', (request, _reply, payload, done) => {
        check('preSerialization', request)
        done(null, payload)
      })
      app.addHook('onSend', (request, _reply, payload, done) => {
        check('onSend', request)
        done(null, payload)
      })
      // onResponse is not run in the span (see the README), but the span is open there.
      const openAtOnResponse: number[] = []
      app.addHook('onResponse', (request, _reply, done) => {
        openAtOnResponse.push(spanOf(request).finishCount)
        done()
      })
      // A long poll answered from the callback of the request that publishes.
      app.get('/poll', (_request, reply) => {
        bus.once('msg', (m: string) => void reply.send({ m }))
      })
      app.get('/publish', () => {
        bus.emit('msg', 'hello')
        return 'published'
      })
      const url = await serve(app)
      const polled = send(`${url}/poll`)
      await waitFor(() => bus.listenerCount('msg') === 1, 'the poll')
      assert.equal((await send(`${url}/publish`)).status, 200)
      assert.deepEqual(JSON.parse((await polled).body), { m: 'hello' })
      await finishedSpans(recording.tracer, 2)
      assert.deepEqual(own, {
        '/poll preSerialization': true,
        '/poll onSend': true,
        '/publish onSend': true,
      })
      assert.deepEqual(openAtOnResponse, [0, 0])
    })

    it('should keep the span open while onRequestAbort hooks run, as request.span', async () => {
      const app = await traced()
      const seen: number[] = []
      app.addHook('onRequestAbort', (request, done) => {
        seen.push(spanOf(request).finishCount)
        request.span?.setTag('abort.seen', true)
        done()
      })
      app.get('/slow', async () => {
        await sleep(200)
        return 'late'
      })
      const url = await serve(app)
      await abortAfter(`${url}/slow`, 30)
      const [span] = await finishedSpans(recording.tracer)
      await waitFor(() => seen.length === 1, 'the hook')
      assert.deepEqual(seen, [0], 'the span was open in the hook')
      assert.equal(span?.tags['http.aborted'], true)
      assert.equal(span?.tags['abort.seen'], true)
      await sleep(250)
    })

    it('should keep the span open while onTimeout hooks run, as request.span', async () => {
      const app = await traced({ connectionTimeout: 100 })
      const seen: number[] = []
      app.addHook('onTimeout', (request, _reply, done) => {
        seen.push(spanOf(request).finishCount)
        done()
      })
      app.get('/stuck', async () => {
        await sleep(300)
        return 'too late'
      })
      const url = await serve(app)
      await new Promise<void>((resolve) => {
        http.get(`${url}/stuck`, { agent: false }).on('error', () => resolve())
      })
      const [span] = await finishedSpans(recording.tracer)
      assert.deepEqual(seen, [0])
      assert.equal(span?.tags['error.type'], 'ConnectionTimeoutError')
      await sleep(300)
    })

    it('should record a body stream that fails mid-response as a server error, not an abort', async () => {
      const app = await traced()
      app.get('/file', (_request, reply) => {
        const stream = new PassThrough()
        stream.write('first chunk')
        setTimeout(() => stream.destroy(new Error('disk read failed')), 50)
        return reply.type('text/plain').send(stream)
      })
      const url = await serve(app)
      const received = await receive(`${url}/file`)
      assert.deepEqual(received, { status: 200, body: 'first chunk', cut: true })
      const [span] = await finishedSpans(recording.tracer)
      assert.equal(span?.tags['http.status_code'], 200)
      assert.equal(span?.tags['http.aborted'], undefined)
      assert.equal(span?.tags.error, true)
      assert.deepEqual(
        span?.logs.map((log) => log.fields.message),
        ['disk read failed'],
      )
    })

    it('should still record a client leaving a streamed response as an abort', async () => {
      const app = await traced()
      app.get('/feed', (_request, reply) => {
        const stream = new PassThrough()
        stream.write('first chunk')
        return reply.type('text/plain').send(stream)
      })
      const url = await serve(app)
      await new Promise<void>((resolve) => {
        const request = http.get(`${url}/feed`, { agent: false }, (response) => {
          response.once('data', () => request.destroy())
        })
        request.on('close', resolve).on('error', () => undefined)
      })
      const [span] = await finishedSpans(recording.tracer)
      assert.equal(span?.tags['http.aborted'], true)
      assert.equal(span?.tags.error, undefined)
    })

    it('should send traceResponseHeader on a hijacked reply written through reply.raw', async () => {
      const app = await traced({}, { traceResponseHeader: true })
      app.get('/raw', (_request, reply) => {
        reply.hijack()
        reply.raw.writeHead(202, { 'content-type': 'text/plain' })
        reply.raw.end('raw')
      })
      app.get('/json', (_request, reply) => ({ header: reply.getHeader('x-trace-id') }))
      const url = await serve(app)
      const raw = await send(`${url}/raw`)
      const json = await send(`${url}/json`)
      const spans = await finishedSpans(recording.tracer, 2)
      const traceOf = (name: string) => spans.find((span) => span.operationName === name)?.traceId
      assert.equal(raw.status, 202)
      assert.equal(raw.headers['x-trace-id'], traceOf('GET /raw'))
      assert.equal(json.headers['x-trace-id'], traceOf('GET /json'))
      assert.deepEqual(JSON.parse(json.body), { header: traceOf('GET /json') })
    })

    it('should leave untraced the requests Fastify answers before any hook (README)', async () => {
      const app = await traced()
      app.get('/users/:id', () => 'ok')
      const url = await serve(app)
      // A URL Fastify cannot decode: its onBadUrl answers 400.
      assert.equal((await send(`${url}/users/%zz`)).status, 400)
      // A parameter over maxParamLength: Fastify 5 answers 414 itself, Fastify 4 a routed 404.
      const long = await send(`${url}/users/${'x'.repeat(150)}`)
      assert.equal(long.status, label === 'Fastify 5' ? 414 : 404)
      await sleep(20)
      assert.equal(recording.tracer.spans().length, label === 'Fastify 5' ? 0 : 1)
    })
  })
}
