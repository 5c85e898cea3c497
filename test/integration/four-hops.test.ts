// One trace across four hops on loopback: Express → axios → Fastify → fetch → Express, under
// 200 concurrent chains with random delays. Every span must sit under the span that called it.
import assert from 'node:assert/strict'
import { setTimeout as sleep } from 'node:timers/promises'
import { after, before, describe, it } from 'node:test'
import { registerTracingInterceptor } from '@tracehop/axios'
import { tracingMiddleware } from '@tracehop/express'
import { tracingPlugin } from '@tracehop/fastify'
import { tracedFetch } from '@tracehop/fetch'
import { RecordingTracer, assertFinishedOnce, type RecordingSpan } from '@tracehop/testing'
import axios from 'axios'
import express from 'express'
import fastify from 'fastify'
import { listen, makeTraceparent, send, waitFor, type RunningServer } from '../support/net.js'

const jitter = () => sleep(Math.floor(Math.random() * 15))

describe('four hops: Express → axios → Fastify → fetch → Express', () => {
  const tracer = new RecordingTracer()
  const servers: RunningServer[] = []
  let edge: RunningServer

  before(async () => {
    const last = express()
    last.use(tracingMiddleware({ tracer }))
    last.get('/stock/:sku', async (req, res) => {
      await jitter()
      res.json({ sku: req.params.sku, stock: 3 })
    })
    const stock = await listen(last)

    const middle = fastify()
    await middle.register(tracingPlugin, { tracer })
    const fetch = tracedFetch(globalThis.fetch, { tracer })
    middle.get<{ Params: { sku: string } }>('/plan/:sku', async (request) => {
      await jitter()
      const response = await fetch(`${stock.url}/stock/${request.params.sku}`)
      return { plan: 'ok', stock: await response.json() }
    })
    await middle.listen({ port: 0, host: '127.0.0.1' })
    const address = middle.server.address()
    const planUrl = `http://127.0.0.1:${typeof address === 'object' && address ? address.port : 0}`

    const client = axios.create({ baseURL: planUrl })
    registerTracingInterceptor(client, { tracer })
    const first = express()
    first.use(tracingMiddleware({ tracer }))
    first.get('/orders/:sku', async (req, res) => {
      await jitter()
      const { data } = await client.get<unknown>(`/plan/${req.params.sku}`)
      res.json(data)
    })
    edge = await listen(first)
    servers.push(edge, stock, { url: planUrl, port: 0, close: () => middle.close() })
  })
  after(async () => {
    for (const server of servers) await server.close()
  })

  it('should give every chain one trace with 0 wrong parents', async () => {
    const chains = 200
    const callers = Array.from({ length: chains }, () => makeTraceparent())
    const responses = await Promise.all(
      callers.map((caller, n) =>
        send(`${edge.url}/orders/sku-${n}`, { headers: { traceparent: caller.header } }),
      ),
    )
    for (const response of responses) assert.equal(response.status, 200)
    await waitFor(() => tracer.finishedSpans().length === chains * 5, 'all spans', 15_000)
    assertFinishedOnce(tracer.spans())
    const expected = [
      ['server', 'express', 'GET /orders/:sku'],
      ['client', 'axios', 'GET 127.0.0.1:'],
      ['server', 'fastify', 'GET /plan/:sku'],
      ['client', 'fetch', 'GET 127.0.0.1:'],
      ['server', 'express', 'GET /stock/:sku'],
    ]
    const childOf = new Map<string | undefined, RecordingSpan[]>()
    for (const span of tracer.finishedSpans()) {
      const siblings = childOf.get(span.parentId) ?? []
      siblings.push(span)
      childOf.set(span.parentId, siblings)
    }
    let wrong = 0
    for (const caller of callers) {
      let parentId: string | undefined = caller.spanId
      for (const [kind, component, name] of expected) {
        const children: RecordingSpan[] = childOf.get(parentId) ?? []
        const span = children[0]
        if (
          children.length !== 1 ||
          span === undefined ||
          span.traceId !== caller.traceId ||
          span.tags['span.kind'] !== kind ||
          span.tags.component !== component ||
          !span.operationName.startsWith(name ?? '')
        ) {
          wrong++
          break
        }
        parentId = span.spanId
      }
    }
    assert.equal(wrong, 0)
  })
})
