// The Koa adapter of examples/koa under Koa's own error handling: Koa answers an error that reaches
// it with only the headers the error carries, so the trace id header must travel on the error.
import assert from 'node:assert/strict'
import { describe, it } from 'node:test'
import Router from '@koa/router'
import { koaTracing } from '@tracehop/example-koa'
import Koa from 'koa'
import { finishedSpans, listen, send } from '../support/net.js'
import { useRecordingTracer } from '../support/recording-tracer.js'

describe('Koa adapter, with Koa answering errors', () => {
  const recording = useRecordingTracer()

  async function start() {
    const app = new Koa()
    // Koa logs every error it answers: not the test's output.
    app.silent = true
    app.use(koaTracing({ tracer: recording.tracer, traceResponseHeader: true }))
    const router = new Router()
    router.get('/fail', () => {
      throw new Error('boom')
    })
    router.get('/login', (ctx) => {
      ctx.throw(401, 'who are you', { headers: { 'www-authenticate': 'Basic' } })
    })
    app.use(router.routes())
    const handle = app.callback()
    recording.server = await listen((req, res) => void handle(req, res))
    return recording.server.url
  }

  it('should send the trace id with the 500 of a thrown error', async () => {
    const url = await start()
    const response = await send(`${url}/fail`)
    assert.equal(response.status, 500)
    const [span] = await finishedSpans(recording.tracer)
    assert.equal(response.headers['x-trace-id'], span?.traceId)
    assert.equal(span?.tags.error, true)
  })

  it("should keep the error's own headers beside the trace id", async () => {
    const url = await start()
    const response = await send(`${url}/login`)
    assert.equal(response.status, 401)
    assert.equal(response.headers['www-authenticate'], 'Basic')
    const [span] = await finishedSpans(recording.tracer)
    assert.equal(response.headers['x-trace-id'], span?.traceId)
  })
})
