// The chaos tracer: a tracer that throws or returns garbage at each of its points (CHAOS_POINTS),
// under the four adapters (Express or Fastify serving, axios and fetch calling out), 375 requests
// per point and server framework.
// Every response and every client result must equal the app's without tracing; nothing may
// escape as an unhandled rejection or an uncaught exception; warnings stay rate-limited.
import assert from 'node:assert/strict'
import { Agent } from 'node:http'
import { setTimeout as sleep } from 'node:timers/promises'
import { after, before, describe, it } from 'node:test'
import { registerTracingInterceptor } from '@tracehop/axios'
import { startActiveSpan } from '@tracehop/core'
import { tracingErrorHandler, tracingMiddleware } from '@tracehop/express'
import { tracingPlugin } from '@tracehop/fastify'
import { tracedFetch } from '@tracehop/fetch'
import axios, { type AxiosInstance } from 'axios'
import express, { type NextFunction, type Request, type Response } from 'express'
import fastify from 'fastify'
import type { Tracer } from 'opentracing'
import { CHAOS_POINTS, ChaosTracer } from '../support/chaos-tracer.js'
import { trapEscapes } from '../support/escapes.js'
import { listen, listenFastify, pooled, type RunningServer } from '../support/net.js'

const keepAlive = new Agent({ keepAlive: true })
const REQUESTS_PER_RUN = 375
const CONCURRENCY = 25

type Framework = 'express' | 'fastify'

// The app's own work: an axios call, a fetch call (a 503 every fifth), an in-process span, and a
// failure every seventh request.
async function work(n: number, http: AxiosInstance, fetchFn: typeof fetch, backend: string) {
  const a = await http.get<string>('/ok').then(
    (response) => [response.status, response.data],
    (error: unknown) => {
      const failure = error as { response?: { status: number }; code?: string }
      return ['err', failure.response?.status ?? failure.code]
    },
  )
  const f = await fetchFn(`${backend}/${n % 5 === 0 ? 'status/503' : 'ok'}`).then(
    async (response) => [response.status, await response.text()],
    (error: unknown) => ['err', (error as Error).name],
  )
  const inner = await startActiveSpan('work', async () => {
    await sleep(0)
    return n * 2
  })
  if (n % 7 === 0) throw new Error(`work ${n} failed`)
  return { n, a, f, inner }
}

async function startApp(framework: Framework, tracer: Tracer | undefined, backend: string) {
  const http = axios.create({ baseURL: backend, httpAgent: keepAlive })
  let fetchFn = globalThis.fetch
  if (tracer !== undefined) {
    registerTracingInterceptor(http, { tracer })
    fetchFn = tracedFetch(globalThis.fetch, { tracer })
  }
  if (framework === 'express') {
    const app = express()
    if (tracer !== undefined) app.use(tracingMiddleware({ tracer, traceResponseHeader: true }))
    app.get('/work/:n', (req, res, next) => {
      work(Number(req.params.n), http, fetchFn, backend).then((body) => res.json(body), next)
    })
    if (tracer !== undefined) app.use(tracingErrorHandler())
    app.use((error: Error, _req: Request, res: Response, _next: NextFunction) => {
      res.status(500).json({ error: error.message })
    })
    return listen(app)
  }
  const app = fastify({ forceCloseConnections: true })
  if (tracer !== undefined) await app.register(tracingPlugin, { tracer, traceResponseHeader: true })
  app.setErrorHandler((error: Error, _request, reply) => {
    void reply.code(500).send({ error: error.message })
  })
  app.get<{ Params: { n: string } }>('/work/:n', (request) =>
    work(Number(request.params.n), http, fetchFn, backend),
  )
  return listenFastify(app)
}

function sendAll(url: string): Promise<string[]> {
  return pooled(REQUESTS_PER_RUN, CONCURRENCY, async (n) => {
    const response = await fetch(`${url}/work/${n}`)
    return `${response.status} ${await response.text()}`
  })
}

describe('a chaos tracer changes nothing the app answers', () => {
  let backend: RunningServer
  const escaped = trapEscapes()
  const warnings: Error[] = []
  const onWarning = (warning: Error) => {
    if ((warning as Error & { code?: string }).code === 'TRACEHOP_TRACER_ERROR')
      warnings.push(warning)
  }
  const expected = new Map<Framework, string[]>()

  before(async () => {
    backend = await listen((req, res) => {
      if (req.url === '/status/503') res.writeHead(503).end('unavailable')
      else res.writeHead(200, { 'content-type': 'text/plain' }).end('ok')
    })
    process.on('warning', onWarning)
    for (const framework of ['express', 'fastify'] as const) {
      const plain = await startApp(framework, undefined, backend.url)
      expected.set(framework, await sendAll(plain.url))
      await plain.close()
    }
  })
  after(async () => {
    process.off('warning', onWarning)
    keepAlive.destroy()
    await backend.close()
  })

  for (const point of CHAOS_POINTS) {
    for (const framework of ['express', 'fastify'] as const) {
      it(`${framework}, axios, fetch: ${point}`, async () => {
        warnings.length = 0
        const app = await startApp(framework, new ChaosTracer(point), backend.url)
        let actual: string[]
        try {
          actual = await sendAll(app.url)
        } finally {
          await app.close()
        }
        await sleep(10)
        const differences = actual.filter((result, n) => result !== expected.get(framework)?.[n])
        assert.deepEqual(differences.slice(0, 3), [], `${differences.length} responses differ`)
        assert.deepEqual(escaped, [])
        // Each failing call site of each adapter warns once per 10 s, not once per request.
        assert.ok(warnings.length <= 16, `${warnings.length} warnings`)
      })
    }
  }
})
