// Core's module state (the active-span storage, the response watcher's tables and its one
// diagnostics-channel subscription) exists once per process, whichever entry and build loads
// it: two copies must neither lose each other's active span nor watch a connection twice. The
// same holds for where @tracehop/express keeps each request's span.
import assert from 'node:assert/strict'
import http from 'node:http'
import { createRequire } from 'node:module'
import { describe, it } from 'node:test'
import type * as CoreModule from '@tracehop/core'
import type * as AdapterModule from '@tracehop/core/adapter'
import type * as ExpressAdapterModule from '@tracehop/express'
import { RecordingTracer } from '@tracehop/testing'
import express from 'express'
import { finishedSpans, listen, send, waitFor } from '../support/net.js'

type Core = typeof CoreModule
type Adapter = typeof AdapterModule

const require = createRequire(import.meta.url)

describe('core module state', () => {
  it('should share the active span between the CommonJS and ESM builds of both entries', async () => {
    const cjs = require('@tracehop/core') as Core
    const esm = await import('@tracehop/core')
    const tracer = new RecordingTracer()
    const cjsAdapter = require('@tracehop/core/adapter') as Adapter
    const esmAdapter = await import('@tracehop/core/adapter')
    assert.notEqual(cjs.withSpan, esm.withSpan, 'two copies of the module are loaded')
    const handle = cjsAdapter
      .createServerTracing('test', { tracer })
      .start({ method: 'GET', url: '/', headers: {} })
    assert.ok(handle)
    handle.run(() => {
      assert.equal(esm.activeSpan(), handle.span)
      const call = esmAdapter.createClientTracing('test', { tracer }).start({
        method: 'GET',
        url: 'http://127.0.0.1:1/x',
      })
      assert.equal(call?.span.context().toTraceId(), handle.span.context().toTraceId())
      call?.finish({ statusCode: 200 })
    })
    handle.finish({ statusCode: 200 })
    assert.equal(tracer.finishedSpans().length, 2)
  })

  it('should watch a connection once when requests on it are traced by two builds', async () => {
    const tracer = new RecordingTracer()
    const builds = [
      require('@tracehop/core/adapter') as Adapter,
      await import('@tracehop/core/adapter'),
    ]
    const tracings = builds.map((build) => build.createServerTracing('test', { tracer }))
    const closeListeners: number[] = []
    let served = 0
    const server = await listen((req, res) => {
      const tracing = tracings[served++ % 2]
      const handle = tracing?.start({ method: 'GET', url: req.url ?? '/', headers: req.headers })
      handle?.finishOnResponseEnd(req, res, () => '/n', undefined)
      closeListeners.push(req.socket.listenerCount('close'))
      res.end('ok')
    })
    const agent = new http.Agent({ keepAlive: true, maxSockets: 1 })
    try {
      for (let i = 0; i < 4; i++) {
        const response = await fetchVia(agent, `${server.url}/${i}`)
        assert.equal(response, 'ok')
      }
      await waitFor(() => tracer.finishedSpans().length === 4, 'four spans')
      assert.equal(new Set(closeListeners).size, 1, `close listeners: ${closeListeners.join()}`)
      for (const span of tracer.finishedSpans()) {
        assert.equal(span.tags['http.aborted'], undefined)
        assert.equal(span.finishCount, 1)
      }
    } finally {
      agent.destroy()
      await server.close()
    }
  })
})

describe('@tracehop/express module state', () => {
  it("should let one build's error handler find the span the other build started", async () => {
    const cjs = require('@tracehop/express') as typeof ExpressAdapterModule
    const esm = await import('@tracehop/express')
    assert.notEqual(cjs.tracingMiddleware, esm.tracingMiddleware, 'two copies are loaded')
    const tracer = new RecordingTracer()
    const seen: boolean[] = []
    const app = express()
    app.use(cjs.tracingMiddleware({ tracer }))
    app.get('/fail', (req, _res, next) => {
      seen.push(req.span !== undefined)
      next(new Error('seen by the other build'))
    })
    app.use(esm.tracingErrorHandler())
    const server = await listen(app)
    try {
      const response = await send(`${server.url}/fail`)
      assert.equal(response.status, 500)
      const [span] = await finishedSpans(tracer, 1)
      assert.deepEqual(seen, [true])
      assert.equal(span?.tags['error.message'], 'seen by the other build')
    } finally {
      await server.close()
    }
  })

  it("should give req.span through the first build's accessor, no property per request", async () => {
    const cjs = require('@tracehop/express') as typeof ExpressAdapterModule
    const esm = await import('@tracehop/express')
    const tracer = new RecordingTracer()
    const seen: unknown[] = []
    const appOf = (build: typeof ExpressAdapterModule) => {
      const app = express()
      app.use(build.tracingMiddleware({ tracer }))
      app.get('/', (req, res) => {
        seen.push(Object.keys(req).includes('span'), req.span !== undefined)
        res.send('ok')
      })
      return app
    }
    const servers = [await listen(appOf(cjs)), await listen(appOf(esm))]
    try {
      for (const server of servers) await send(`${server.url}/`)
      await finishedSpans(tracer, 2)
      assert.deepEqual(seen, [false, true, false, true])
    } finally {
      await Promise.all(servers.map((server) => server.close()))
    }
  })
})

async function fetchVia(agent: http.Agent, url: string): Promise<string> {
  return new Promise((resolve, reject) => {
    http
      .get(url, { agent }, (response) => {
        let body = ''
        response.on('data', (chunk: Buffer) => (body += chunk.toString()))
        response.on('end', () => resolve(body))
      })
      .on('error', reject)
  })
}
