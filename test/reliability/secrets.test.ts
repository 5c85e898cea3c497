// Secrets (opentelemetry-js#5741; semantic conventions: url.full "MUST NOT contain
// credentials"): canaries planted in userinfo, signed query parameters, Authorization, Cookie,
// API-key headers and baggage, on the server side and on axios and fetch calls, never appear in
// any tag, log or operation name a tracer receives.
import assert from 'node:assert/strict'
import { randomUUID } from 'node:crypto'
import { describe, it } from 'node:test'
import { registerTracingInterceptor } from '@tracehop/axios'
import { tracingMiddleware } from '@tracehop/express'
import { tracingPlugin } from '@tracehop/fastify'
import { tracedFetch } from '@tracehop/fetch'
import { RecordingTracer } from '@tracehop/testing'
import axios from 'axios'
import express from 'express'
import fastify from 'fastify'
import { useEchoServer } from '../support/echo-server.js'
import { listen, listenFastify, makeTraceparent, send, type RunningServer } from '../support/net.js'

const SECRET_QUERY_KEYS = [
  'token',
  'access_token',
  'sig',
  'Signature',
  'X-Amz-Signature',
  'X-Goog-Signature',
  'AWSAccessKeyId',
  'api_key',
  'password',
  'client_secret',
  'code',
  'auth',
]

describe('secrets never reach a tag, a log or a name', () => {
  const echo = useEchoServer()

  for (const framework of ['express', 'fastify'] as const) {
    it(`${framework} with axios and fetch`, async () => {
      const canaries: string[] = []
      const canary = () => {
        const value = `CANARY-${randomUUID()}`
        canaries.push(value)
        return value
      }
      const query = () => SECRET_QUERY_KEYS.map((key) => `${key}=${canary()}`).join('&')
      const tracer = new RecordingTracer()
      const http = axios.create()
      registerTracingInterceptor(http, { tracer })
      const fetch = tracedFetch(globalThis.fetch, { tracer })
      const handler = async () => {
        await http.get(`${echo.url}/a?${query()}`, {
          headers: {
            authorization: `Bearer ${canary()}`,
            cookie: `sid=${canary()}`,
            'x-api-key': canary(),
          },
          auth: { username: 'user', password: canary() },
        })
        await fetch(`${echo.url}/f?${query()}`, {
          headers: { authorization: `Bearer ${canary()}`, 'x-api-key': canary() },
        })
        await http.get(`http://user:${canary()}@127.0.0.1:${echo.port}/userinfo`)
        return { ok: true }
      }
      let server: RunningServer
      if (framework === 'express') {
        const app = express()
        app.use(tracingMiddleware({ tracer, traceResponseHeader: true }))
        app.get('/in', (_req, res, next) => {
          handler().then((body) => res.json(body), next)
        })
        server = await listen(app)
      } else {
        const app = fastify({ forceCloseConnections: true })
        await app.register(tracingPlugin, { tracer, traceResponseHeader: true })
        app.get('/in', handler)
        server = await listenFastify(app)
      }
      const { url } = server
      try {
        for (let i = 0; i < 20; i++) {
          const response = await send(`${url}/in?${query()}`, {
            headers: {
              traceparent: makeTraceparent().header,
              baggage: `session=${canary()}`,
              authorization: `Basic ${canary()}`,
              cookie: `sid=${canary()}`,
              'x-api-key': canary(),
              'proxy-authorization': canary(),
            },
          })
          assert.equal(response.status, 200)
        }
      } finally {
        await server.close()
      }
      assert.equal(tracer.finishedSpans().length, 20 * 4)
      const recorded = JSON.stringify(
        tracer.finishedSpans().map((span) => ({
          name: span.operationName,
          tags: span.tags,
          logs: span.logs.map((log) => log.fields),
        })),
      )
      const leaked = canaries.filter((value) => recorded.includes(value))
      assert.deepEqual(leaked, [], `${leaked.length} of ${canaries.length} canaries recorded`)
      assert.ok(recorded.includes('REDACTED'), 'secret query values are replaced, not dropped')
    })
  }
})
