// Run by the rejections scenario of scenarios/parity-arity.ts as
// `node --import tsx children/parity-rejections.ts plain|traced`: counts the unhandledRejection
// events that apps and client calls cause on purpose, and prints them as JSON. A process of its
// own, because node:test fails any test an unhandled rejection occurs in.
import { setTimeout as sleep } from 'node:timers/promises'
import { registerTracingInterceptor } from '@tracehop/axios'
import { tracingErrorHandler, tracingMiddleware } from '@tracehop/express'
import { tracingPlugin } from '@tracehop/fastify'
import { tracedFetch } from '@tracehop/fetch'
import { RecordingTracer } from '@tracehop/testing'
import axios from 'axios'
import express from 'express'
import express4 from 'express4'
import fastify from 'fastify'
import { closedPortUrl } from '../../support/echo-server.js'
import { listen, listenFastify, send, type RunningServer } from '../../support/net.js'

const traced = process.argv[2] === 'traced'
const tracer = new RecordingTracer()
let rejections = 0
process.on('unhandledRejection', () => rejections++)

async function counted(run: () => Promise<void>): Promise<number> {
  const before = rejections
  await run()
  await sleep(50)
  return rejections - before
}

async function serve(start: () => Promise<RunningServer>, paths: string[]): Promise<void> {
  const server = await start()
  for (const path of paths) await send(server.url + path)
  await sleep(20)
  await server.close()
}

function expressApp(framework: typeof express) {
  const app = framework()
  if (traced) app.use(tracingMiddleware({ tracer }))
  app.get('/async-throw', async (_req, res) => {
    res.send('answered')
    await sleep(1)
    throw new Error('after the answer')
  })
  app.get('/stray', (_req, res) => {
    void Promise.reject(new Error('stray'))
    res.send('answered')
  })
  if (traced) app.use(tracingErrorHandler())
  return () => listen(app)
}

async function fastifyApp() {
  const app = fastify({ forceCloseConnections: true })
  if (traced) await app.register(tracingPlugin, { tracer })
  app.get('/async-throw', async () => {
    await sleep(1)
    throw new Error('async')
  })
  app.get('/stray', async () => {
    void Promise.reject(new Error('stray'))
    await sleep(0)
    return 'answered'
  })
  return listenFastify(app)
}

const closed = await closedPortUrl()
const counts: Record<string, number> = {
  'express 4 async throw': await counted(() =>
    serve(expressApp(express4 as unknown as typeof express), ['/async-throw']),
  ),
  'express 5 async throw': await counted(() => serve(expressApp(express), ['/async-throw'])),
  'fastify async throw': await counted(() => serve(fastifyApp, ['/async-throw'])),
  'stray rejections': await counted(async () => {
    await serve(expressApp(express4 as unknown as typeof express), ['/stray'])
    await serve(expressApp(express), ['/stray'])
    await serve(fastifyApp, ['/stray'])
  }),
  'unawaited axios': await counted(async () => {
    const http = axios.create()
    if (traced) registerTracingInterceptor(http, { tracer })
    void http.get(`${closed}/x`)
    await sleep(50)
  }),
  'unawaited fetch': await counted(async () => {
    const fetch = traced ? tracedFetch(globalThis.fetch, { tracer }) : globalThis.fetch
    void fetch(`${closed}/x`)
    await sleep(50)
  }),
}
if (traced && tracer.finishedSpans().length < 8) throw new Error('tracing did not run')
process.stdout.write(JSON.stringify(counts))
