// The isolation suite's app (isolation.test.ts): each request does random async work (timers,
// setImmediate, an EventEmitter, a parsed JSON body), then calls the echo server three ways: axios,
// fetch, and node:http through a shared keep-alive agent whose four sockets are reused by every
// request. It answers what it saw: the user's own AsyncLocalStorage store, and the trace ids active
// in the handler.
import { AsyncLocalStorage } from 'node:async_hooks'
import { EventEmitter, once } from 'node:events'
import http from 'node:http'
import { setTimeout as sleep } from 'node:timers/promises'
import { registerTracingInterceptor } from '@tracehop/axios'
import { traceIds } from '@tracehop/core'
import { createClientTracing, type ClientTracing } from '@tracehop/core/adapter'
import { tracingMiddleware } from '@tracehop/express'
import { tracingPlugin } from '@tracehop/fastify'
import { tracedFetch } from '@tracehop/fetch'
import type { RecordingTracer } from '@tracehop/testing'
import axios, { type AxiosInstance } from 'axios'
import express from 'express'
import express4 from 'express4'
import fastify from 'fastify'
import fastify4 from 'fastify4'
import { listen, listenFastify, type RunningServer } from '../../support/net.js'

/** The servers under test; `express-json-first` parses the body before tracing starts. */
export const VARIANTS = [
  'express',
  'express-json-first',
  'express4',
  'fastify',
  'fastify4',
] as const
export type Variant = (typeof VARIANTS)[number]

/** What the handler answers. */
export interface Seen {
  n: number
  /** The user's AsyncLocalStorage store as the handler saw it. */
  userStore: number | undefined
  /** The active trace id in the handler, after all the async work. */
  traceId: string | undefined
}

/** The user's own AsyncLocalStorage, set per request before tracing (it must survive). */
const userStorage = new AsyncLocalStorage<number>()
/** A process-wide emitter ticking outside any request, as a message bus would. */
export const bus = new EventEmitter()

/** Work done in the handler before calling out: 0–20 ms of mixed async steps. */
async function randomWork(n: number, body: unknown): Promise<void> {
  if ((body as { n?: unknown }).n !== n) throw new Error(`body of ${n} is ${JSON.stringify(body)}`)
  const steps = n % 4
  for (let step = 0; step <= steps; step++) {
    switch ((n + step) % 4) {
      case 0:
        await sleep(n % 21)
        break
      case 1:
        await new Promise((resolve) => setImmediate(resolve))
        break
      case 2:
        await once(bus, 'tick')
        break
      default:
        await Promise.resolve()
    }
  }
}

/** A node:http call through `agent`, traced by hand with core's client lifecycle. */
function callWithHttp(tracing: ClientTracing, agent: http.Agent, url: string): Promise<number> {
  const call = tracing.start({ method: 'GET', url })
  return new Promise((resolve, reject) => {
    const request = http.get(url, { agent, headers: { ...call?.headers } }, (response) => {
      response.resume()
      response.on('end', () => {
        call?.finish({ statusCode: response.statusCode })
        resolve(response.statusCode ?? 0)
      })
    })
    request.on('error', (error) => {
      call?.finish({ error })
      reject(error)
    })
  })
}

/** The three outbound clients, traced by `tracer`. */
interface Clients {
  axios: AxiosInstance
  fetch: typeof fetch
  http: (url: string) => Promise<number>
}

function tracedClients(tracer: RecordingTracer, agent: http.Agent): Clients {
  const instance = axios.create()
  registerTracingInterceptor(instance, { tracer })
  const tracing = createClientTracing('node-http', { tracer })
  return {
    axios: instance,
    fetch: tracedFetch(globalThis.fetch, { tracer }),
    http: (url) => callWithHttp(tracing, agent, url),
  }
}

async function handle(n: number, body: unknown, clients: Clients, echo: string): Promise<Seen> {
  await randomWork(n, body)
  await Promise.all([
    clients.axios.get(`${echo}/axios/${n}`),
    clients.fetch(`${echo}/fetch/${n}`).then((response) => response.arrayBuffer()),
    clients.http(`${echo}/http/${n}`),
  ])
  return { n, userStore: userStorage.getStore(), traceId: traceIds()?.traceId }
}

/** Starts `variant` traced by `tracer`, calling the echo server at `echo`. */
export async function startIsolationApp(
  variant: Variant,
  tracer: RecordingTracer,
  echo: string,
  agent: http.Agent,
): Promise<RunningServer> {
  const clients = tracedClients(tracer, agent)
  const tracing = { tracer, traceResponseHeader: true }
  if (variant.startsWith('express')) {
    const app = (variant === 'express4' ? (express4 as unknown as typeof express) : express)()
    app.use((req, _res, next) => {
      userStorage.run(Number(req.path.split('/')[2]), next)
    })
    if (variant === 'express-json-first') app.use(express.json())
    app.use(tracingMiddleware(tracing))
    if (variant !== 'express-json-first') app.use(express.json())
    app.post('/work/:n', (req, res, next) => {
      handle(Number(req.params.n), req.body, clients, echo).then((seen) => res.json(seen), next)
    })
    app.get('/hang', (_req, res) => {
      res.write('first')
    })
    return listen(app)
  }
  // Fastify has no middleware chain to wrap: a user store is set around its request handler.
  const app = (variant === 'fastify4' ? (fastify4 as unknown as typeof fastify) : fastify)({
    forceCloseConnections: true,
    serverFactory: (handler) =>
      http.createServer((req, res) => {
        userStorage.run(Number(req.url?.split('/')[2]), () => handler(req, res))
      }),
  })
  await app.register(tracingPlugin, tracing)
  app.post<{ Params: { n: string } }>('/work/:n', (request) =>
    handle(Number(request.params.n), request.body, clients, echo),
  )
  app.get('/hang', (_request, reply) => {
    reply.hijack()
    reply.raw.write('first')
  })
  return listenFastify(app)
}
