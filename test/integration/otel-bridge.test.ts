// @tracehop/otel on the OTel SDK, under every server adapter: inside a traced request, spans an
// application starts with OTel's own API (as OTel instrumentations do) are children of the
// request span, after await, timers and body parsing, and 1,000 concurrent requests never mix.
import assert from 'node:assert/strict'
import http from 'node:http'
import { setTimeout as sleep } from 'node:timers/promises'
import { after, beforeEach, describe, it } from 'node:test'
import { SpanKind, trace } from '@opentelemetry/api'
import { tracingMiddleware } from '@tracehop/express'
import { tracingPlugin } from '@tracehop/fastify'
import { createOtelTracer } from '@tracehop/otel'
import express5 from 'express'
import express4 from 'express4'
import fastify5 from 'fastify'
import fastify4 from 'fastify4'
import type { ExpressModule } from '../support/express-app.js'
import type { FastifyModule } from '../support/fastify-app.js'
import {
  listen,
  listenFastify,
  makeTraceparent,
  pooled,
  send,
  type RunningServer,
} from '../support/net.js'
import { sdk } from '../support/otel-sdk.js'

const tracer = createOtelTracer()
const appTracer = trace.getTracer('app')

// What the handler does with the parsed body: an await, a timer, then an OTel span of its own.
async function work(id: unknown): Promise<{ traceId: string | undefined }> {
  await sleep(Math.random() * 3)
  await new Promise((resolve) => setTimeout(resolve, 1))
  appTracer.startActiveSpan('db.query', (span) => {
    span.setAttribute('request.id', String(id))
    span.end()
  })
  return { traceId: trace.getActiveSpan()?.spanContext().traceId }
}

function expressApp(module: ExpressModule): Promise<RunningServer> {
  const app = module()
  app.use(tracingMiddleware({ tracer }))
  app.use(module.json())
  app.post('/work/:id', (req, res, next) => {
    work((req.body as { id?: unknown }).id).then((body) => res.json(body), next)
  })
  return listen(app)
}

async function fastifyApp(module: FastifyModule): Promise<RunningServer> {
  const app = module()
  await app.register(tracingPlugin, { tracer })
  app.post('/work/:id', (request) => work((request.body as { id?: unknown }).id))
  return listenFastify(app)
}

const servers: Array<[string, () => Promise<RunningServer>]> = [
  ['Express 5', () => expressApp(express5)],
  ['Express 4', () => expressApp(express4 as unknown as ExpressModule)],
  ['Fastify 5', () => fastifyApp(fastify5 as FastifyModule)],
  ['Fastify 4', () => fastifyApp(fastify4 as unknown as FastifyModule)],
]

const REQUESTS = 1000

for (const [name, start] of servers) {
  describe(`${name} with @tracehop/otel`, () => {
    let server: RunningServer | undefined
    beforeEach(() => sdk.reset())
    after(async () => server?.close())

    it('should parent OTel spans on the request span, 1,000 concurrent requests apart', async () => {
      server = await start()
      const agent = new http.Agent({ keepAlive: true, maxSockets: 100 })
      const sent = await pooled(REQUESTS, REQUESTS, async (index) => {
        const parent = makeTraceparent()
        const response = await send(`${server?.url}/work/${index}`, {
          method: 'POST',
          headers: { traceparent: parent.header, 'content-type': 'application/json' },
          body: JSON.stringify({ id: index }),
          agent,
        })
        assert.equal(response.status, 200)
        const seen = JSON.parse(response.body) as { traceId?: string }
        assert.equal(seen.traceId, parent.traceId, 'the active OTel span is the request span')
        return parent
      })
      agent.destroy()
      const spans = sdk.spans()
      const requests = new Map(
        spans
          .filter((span) => span.kind === SpanKind.SERVER)
          .map((span) => [span.spanContext().spanId, span]),
      )
      const queries = spans.filter((span) => span.name === 'db.query')
      assert.equal(requests.size, REQUESTS)
      assert.equal(queries.length, REQUESTS)
      let crossTalk = 0
      for (const query of queries) {
        const request = requests.get(query.parentSpanContext?.spanId ?? '')
        const index = Number(query.attributes['request.id'])
        const expected = sent[index]
        if (
          request === undefined ||
          request.attributes['url.path'] !== `/work/${index}` ||
          query.spanContext().traceId !== expected?.traceId ||
          request.parentSpanContext?.spanId !== expected.spanId
        ) {
          crossTalk++
        }
      }
      assert.equal(crossTalk, 0)
    })
  })
}
