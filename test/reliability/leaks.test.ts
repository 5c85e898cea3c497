// Leaks (DataDog/dd-trace-js#402 and #2837, requests held on to; dd-trace-js#210, a listener added
// to a kept-alive socket per request; elysiajs/opentelemetry#62, spans left open on abort): 20,000
// requests per server, 10% aborted by the client, each calling out with axios or fetch in turn.
// After a forced GC the heap must not have grown by 5 MB or more since the warm-up, kept-alive
// sockets must hold as many listeners as before, no MaxListenersExceededWarning, and no span may
// stay open. `npm run soak` runs the same with 200,000 requests.
import assert from 'node:assert/strict'
import http from 'node:http'
import { setTimeout as sleep } from 'node:timers/promises'
import { after, before, describe, it } from 'node:test'
import { registerTracingInterceptor } from '@tracehop/axios'
import { tracingMiddleware } from '@tracehop/express'
import { tracingPlugin } from '@tracehop/fastify'
import { tracedFetch } from '@tracehop/fetch'
import { RecordingTracer } from '@tracehop/testing'
import axios from 'axios'
import express from 'express'
import fastify from 'fastify'
import { useEchoServer } from '../support/echo-server.js'
import { freeSocketListeners, heapAfterGc } from '../support/heap.js'
import {
  abortAfter,
  listen,
  listenFastify,
  pooled,
  send,
  waitFor,
  type RunningServer,
} from '../support/net.js'

const REQUESTS = Number(process.env.SOAK_REQUESTS ?? 20_000)
const WARM_UP = 2000
const CONCURRENCY = 50
const MAX_GROWTH = 5 * 1024 * 1024

/** The app: `/work` calls out with axios and fetch; `/slow` answers after 50 ms. */
async function startApp(framework: 'express' | 'fastify', tracer: RecordingTracer, echo: string) {
  const client = axios.create({ httpAgent: new http.Agent({ keepAlive: true, maxSockets: 8 }) })
  registerTracingInterceptor(client, { tracer })
  const fetchFn = tracedFetch(globalThis.fetch, { tracer })
  // One call out per request, axios and fetch in turn.
  let calls = 0
  const work = async () =>
    calls++ % 2 === 0
      ? { a: (await client.get(`${echo}/a`)).status }
      : { f: (await (await fetchFn(`${echo}/f`)).arrayBuffer()).byteLength }
  if (framework === 'express') {
    const app = express()
    app.use(tracingMiddleware({ tracer }))
    app.get('/work', (_req, res, next) => {
      work().then((body) => res.json(body), next)
    })
    app.get('/slow', (_req, res) => {
      setTimeout(() => res.json({ slow: true }), 50)
    })
    return listen(app)
  }
  const app = fastify({ forceCloseConnections: true })
  await app.register(tracingPlugin, { tracer })
  app.get('/work', work)
  app.get('/slow', async () => {
    await sleep(50)
    return { slow: true }
  })
  return listenFastify(app)
}

describe(`${REQUESTS.toLocaleString('en')} requests, 10% aborted, leave nothing behind`, () => {
  const echo = useEchoServer()
  const warnings: Error[] = []
  const onWarning = (warning: Error) => warnings.push(warning)
  before(() => process.on('warning', onWarning))
  after(() => process.off('warning', onWarning))

  for (const framework of ['express', 'fastify'] as const) {
    it(`${framework} + axios + fetch: heap flat after GC, listeners constant, no span open`, async (t) => {
      const tracer = new RecordingTracer()
      const app: RunningServer = await startApp(framework, tracer, echo.url)
      const inbound = new http.Agent({ keepAlive: true, maxSockets: CONCURRENCY })
      // Every tenth request is abandoned by its client before the answer. The recording tracer
      // keeps what it records (tracehop must keep nothing): it is emptied every 1,000 requests.
      const load = async (count: number) => {
        for (let done = 0; done < count; done += 1000) {
          await pooled(Math.min(1000, count - done), CONCURRENCY, async (i) => {
            if (i % 10 === 0) await abortAfter(`${app.url}/slow`, 10)
            else assert.equal((await send(`${app.url}/work`, { agent: inbound })).status, 200)
          })
          await drain(tracer)
          echo.received.length = 0
        }
      }
      try {
        await load(WARM_UP)
        const listenersBefore = freeSocketListeners(inbound)
        const heapBefore = await heapAfterGc()
        await load(REQUESTS)
        const growth = (await heapAfterGc()) - heapBefore
        const listenersAfter = freeSocketListeners(inbound)
        t.diagnostic(`heap growth ${(growth / 2 ** 20).toFixed(2)} MB`)
        assert.ok(growth < MAX_GROWTH, `heap grew by ${(growth / 2 ** 20).toFixed(1)} MB`)
        assert.ok(listenersBefore.length > 0)
        assert.equal(Math.max(...listenersAfter), Math.max(...listenersBefore))
        assert.deepEqual(
          warnings.filter(({ name }) => name === 'MaxListenersExceededWarning'),
          [],
        )
      } finally {
        inbound.destroy()
        await app.close()
      }
    })
  }
})

/** Waits until every span started so far finished, then forgets them. */
async function drain(tracer: RecordingTracer): Promise<void> {
  await waitFor(() => tracer.openSpans().length === 0, 'every span finished', 5000)
  tracer.reset()
}
