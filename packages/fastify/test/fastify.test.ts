import assert from 'node:assert/strict'
import http from 'node:http'
import { setTimeout as sleep } from 'node:timers/promises'
import { describe, it } from 'node:test'
import { activeSpan } from '@tracehop/core'
import defaultExport, { recordError, tracingPlugin } from '@tracehop/fastify'
import fastify5, { type FastifyInstance, type FastifyServerOptions } from 'fastify'
import fastify4 from 'fastify4'
import type { FastifyModule } from '../../../test/support/fastify-app.js'
import { abortAfter, finishedSpans, listenFastify, send } from '../../../test/support/net.js'
import { useRecordingTracer } from '../../../test/support/recording-tracer.js'

const majors: Array<[string, FastifyModule]> = [
  ['Fastify 5', fastify5 as FastifyModule],
  ['Fastify 4', fastify4 as unknown as FastifyModule],
]

for (const [label, fastify] of majors) {
  describe(`${label}: tracingPlugin`, () => {
    const recording = useRecordingTracer()
    const traced = async (options: FastifyServerOptions = {}) => {
      const app = fastify({ forceCloseConnections: true, ...options })
      await app.register(tracingPlugin, { tracer: recording.tracer })
      return app
    }
    const serve = async (app: FastifyInstance) => {
      recording.server = await listenFastify(app)
      return recording.server.url
    }
    const finished = (count = 1) => finishedSpans(recording.tracer, count)

    it('should expose request.span, null when not traced, and keep it active in preHandler', async () => {
      const app = fastify({ forceCloseConnections: true })
      await app.register(tracingPlugin, { tracer: recording.tracer, ignore: ['/untraced'] })
      let inHook: unknown
      app.addHook('preHandler', async (request) => {
        await sleep(1)
        inHook = activeSpan() === request.span
      })
      app.get('/traced', (request) => ({ same: activeSpan() === request.span }))
      app.get('/untraced', (request) => ({ span: request.span }))
      const url = await serve(app)
      assert.deepEqual(JSON.parse((await send(`${url}/traced`)).body), { same: true })
      assert.equal(inHook, true)
      assert.deepEqual(JSON.parse((await send(`${url}/untraced`)).body), { span: null })
      assert.equal((await finished()).length, 1)
    })

    it('should record errors thrown in hooks and sent with reply.send(err), once each', async () => {
      const app = await traced()
      app.get(
        '/hook-fails',
        { onRequest: async () => Promise.reject(new Error('hook boom')) },
        () => 'x',
      )
      app.get(
        '/pre-fails',
        {
          preHandler: (_request, _reply, done) => done(new Error('pre boom')),
        },
        () => 'x',
      )
      app.get('/sent', (_request, reply) => {
        void reply.send(new Error('sent boom'))
      })
      const url = await serve(app)
      for (const path of ['/hook-fails', '/pre-fails', '/sent']) {
        assert.equal((await send(`${url}${path}`)).status, 500)
      }
      const spans = await finished(3)
      assert.deepEqual(
        spans.map((span) => [
          span.operationName,
          span.tags.error,
          span.logs.map((log) => log.fields.message),
        ]),
        [
          ['GET /hook-fails', true, ['hook boom']],
          ['GET /pre-fails', true, ['pre boom']],
          ['GET /sent', true, ['sent boom']],
        ],
      )
    })

    it('should record with recordError() an error the app answers itself, once, the first one', async () => {
      const app = await traced()
      app.get('/caught', async (request, reply) => {
        const error = new Error('caught boom')
        recordError(request, error)
        recordError(request, new Error('a later one'))
        return reply.code(503).send({ message: 'try later' })
      })
      app.get('/fine', (request) => {
        recordError(request, new Error('logged, then answered 200'))
        return 'ok'
      })
      const url = await serve(app)
      assert.equal((await send(`${url}/caught`)).status, 503)
      assert.equal((await send(`${url}/fine`)).status, 200)
      const spans = await finished(2)
      const caught = spans.find((span) => span.operationName === 'GET /caught')
      assert.equal(caught?.tags.error, true)
      assert.deepEqual(
        caught?.logs.map((log) => [
          log.fields.message,
          log.fields['error.object'] instanceof Error,
        ]),
        [['caught boom', true]],
      )
      // An error recorded on a request that ends well is still the request's error.
      const fine = spans.find((span) => span.operationName === 'GET /fine')
      assert.equal(fine?.tags.error, true)
    })

    it('should ignore recordError() on a request that is not traced', async () => {
      const app = fastify({ forceCloseConnections: true })
      app.get('/untraced', (request) => {
        recordError(request, new Error('nobody listens'))
        return 'ok'
      })
      const url = await serve(app)
      assert.equal((await send(`${url}/untraced`)).status, 200)
      assert.deepEqual(recording.tracer.finishedSpans(), [], 'no plugin, no span, no throw')
    })

    it('should mark a thrown error answered with a 4xx as an error: a thrown error fails whatever the status', async () => {
      const app = await traced()
      app.get('/bad', () => {
        throw Object.assign(new Error('bad input'), { statusCode: 400 })
      })
      const url = await serve(app)
      assert.equal((await send(`${url}/bad`)).status, 400)
      const [span] = await finished()
      assert.equal(span?.tags['http.status_code'], 400)
      assert.equal(span?.tags.error, true)
      assert.equal(span?.logs[0]?.fields.message, 'bad input')
    })

    it('should finish once, tagged http.aborted, when the client leaves before the reply', async () => {
      const app = await traced()
      app.get('/slow', async () => {
        await sleep(200)
        return 'late'
      })
      const url = await serve(app)
      await abortAfter(`${url}/slow`, 30)
      const [span] = await finished()
      assert.equal(span?.tags['http.aborted'], true)
      assert.equal(span?.tags.error, undefined)
      assert.equal(span?.operationName, 'GET /slow')
      await sleep(250)
      assert.equal(span?.finishCount, 1)
    })

    it('should finish once when the connection times out', async () => {
      const app = await traced({ connectionTimeout: 100 })
      app.get('/stuck', async () => {
        await sleep(400)
        return 'too late'
      })
      const url = await serve(app)
      await new Promise<void>((resolve) => {
        http.get(`${url}/stuck`, { agent: false }).on('error', () => resolve())
      })
      const [span] = await finished()
      assert.equal(span?.operationName, 'GET /stuck')
      assert.equal(span?.tags.error, true)
      await sleep(400)
      assert.equal(span?.finishCount, 1)
    })

    it('should not leave a hijacked reply open', async () => {
      const app = await traced()
      app.get('/raw', (_request, reply) => {
        reply.hijack()
        reply.raw.writeHead(202, { 'content-type': 'text/plain' })
        reply.raw.end('raw')
      })
      const url = await serve(app)
      const response = await send(`${url}/raw`)
      assert.equal(response.status, 202)
      assert.equal(response.body, 'raw')
      const [span] = await finished()
      assert.equal(span?.operationName, 'GET /raw')
      assert.equal(span?.tags['http.status_code'], 202)
    })

    it('should trace fastify.inject() requests as real ones, answered in full', async () => {
      const app = await traced()
      app.get('/users/:id', (request) => ({ span: request.span !== null }))
      app.get('/invalid', () =>
        Promise.reject(Object.assign(new Error('bad'), { statusCode: 400 })),
      )
      const response = await app.inject({
        method: 'GET',
        url: '/users/4',
        headers: { traceparent: '00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01' },
      })
      assert.deepEqual(response.json(), { span: true })
      assert.equal((await app.inject({ url: '/invalid' })).statusCode, 400)
      const [span, failed] = await finished(2)
      assert.equal(span?.operationName, 'GET /users/:id')
      assert.equal(span?.parentId, 'b7ad6b7169203331')
      assert.equal(span?.tags['http.aborted'], undefined)
      assert.equal(failed?.tags['http.aborted'], undefined)
      assert.equal(failed?.tags.error, true)
      await app.close()
    })

    it('should keep the span active where a body over bodyLimit fails, sent in parts', async () => {
      const app = await traced({ bodyLimit: 10 })
      const active: Record<string, boolean> = {}
      app.addHook('onSend', async (request, _reply, payload) => {
        active.onSend = activeSpan() === request.span
        return payload
      })
      app.setErrorHandler((error: { statusCode?: number }, request, reply) => {
        active.errorHandler = activeSpan() === request.span
        void reply.code(error.statusCode ?? 500).send({ failed: true })
      })
      app.post('/items', () => ({ ok: true }))
      const url = new URL(await serve(app))
      const status = await new Promise<number | undefined>((resolve, reject) => {
        const headers = { 'content-type': 'application/json' }
        const request = http.request(url, { method: 'POST', path: '/items', headers }, (res) => {
          res.resume()
          resolve(res.statusCode)
        })
        request.on('error', reject)
        request.write('{"a":1')
        setTimeout(() => request.end(',"b":"over the limit"}'), 30)
      })
      assert.equal(status, 413)
      assert.deepEqual(active, { errorHandler: true, onSend: true })
      assert.equal((await finished())[0]?.tags['http.status_code'], 413)
    })
  })
}

describe('@tracehop/fastify exports', () => {
  it('should export the plugin both named and as default, wrapped by fastify-plugin', () => {
    assert.equal(defaultExport, tracingPlugin)
    const meta = (tracingPlugin as unknown as Record<symbol, unknown>)[Symbol.for('plugin-meta')]
    assert.deepEqual(meta, { fastify: '4.x || 5.x', name: '@tracehop/fastify' })
    assert.equal(
      (tracingPlugin as unknown as Record<symbol, unknown>)[Symbol.for('skip-override')],
      true,
    )
  })
})
