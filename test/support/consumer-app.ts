// The application test/integration/consumer.test.ts builds outside the workspace, against the
// packed packages: one file, compiled unchanged as ESM and CommonJS (`module: nodenext`) and under
// `moduleResolution: bundler`, using every package through its public entry points only. It runs
// one trace across Express → axios → Fastify → fetch → Express, checks it with node:assert, and
// prints `RESULT <json>` for the test to check again. Only names users import: no repository path.
import assert from 'node:assert/strict'
import http from 'node:http'
import type { AddressInfo } from 'node:net'
import { registerTracingInterceptor } from '@tracehop/axios'
import { activeSpan, startActiveSpan, traceIds } from '@tracehop/core'
import { createClientTracing } from '@tracehop/core/adapter'
import { tracingErrorHandler, tracingMiddleware } from '@tracehop/express'
import { tracingPlugin } from '@tracehop/fastify'
import { tracedFetch } from '@tracehop/fetch'
import { createOtelTracer } from '@tracehop/otel'
import {
  RecordingTracer,
  assertFinishedOnce,
  renderWaterfall,
  type RecordingSpan,
} from '@tracehop/testing'
import axios from 'axios'
import express from 'express'
import Fastify from 'fastify'
import { Tracer, initGlobalTracer } from 'opentracing'

async function listen(server: http.Server): Promise<string> {
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  return `http://127.0.0.1:${String((server.address() as AddressInfo).port)}`
}

function close(server: http.Server): Promise<void> {
  return new Promise((resolve) => {
    server.close(() => resolve())
    server.closeAllConnections()
  })
}

async function main(): Promise<void> {
  // The tracer every adapter resolves per request through opentracing's global tracer: the one
  // copy of opentracing is the application's (a peer dependency of every package).
  const tracer = new RecordingTracer()
  initGlobalTracer(tracer)

  // @tracehop/otel without an OTel SDK: an OpenTracing tracer of the application's opentracing.
  const otel = createOtelTracer({ keepOpenTracingTags: true })
  assert.ok(otel instanceof Tracer)

  // Last hop: Express, with an in-process span.
  const stockApp = express()
  stockApp.use(tracingMiddleware())
  stockApp.get('/stock/:sku', async (req, res) => {
    req.span?.setTag('sku', req.params.sku)
    const stock = await startActiveSpan('lookup', async () => Promise.resolve(3))
    res.json({ stock, traceId: traceIds()?.traceId })
  })
  stockApp.use(tracingErrorHandler())
  const stockServer = http.createServer(stockApp)
  const stockUrl = await listen(stockServer)

  // Third hop: Fastify, calling the last one with a traced fetch.
  const fetch = tracedFetch()
  const planApp = Fastify()
  await planApp.register(tracingPlugin, { ignore: ['/healthz'] })
  planApp.get<{ Params: { sku: string } }>('/plan/:sku', async (request) => {
    request.span?.setTag('sku', request.params.sku)
    assert.equal(activeSpan(), request.span)
    const response = await fetch(`${stockUrl}/stock/${request.params.sku}`)
    return { plan: 'ok', stock: await response.json() }
  })
  await planApp.listen({ port: 0, host: '127.0.0.1' })
  const planUrl = `http://127.0.0.1:${String((planApp.server.address() as AddressInfo).port)}`

  // First hop: Express, calling Fastify with a traced axios instance.
  const client = axios.create({ baseURL: planUrl })
  const unregister = registerTracingInterceptor(client, { propagate: true })
  const edgeApp = express()
  edgeApp.use(tracingMiddleware({ traceResponseHeader: true }))
  edgeApp.get('/orders/:sku', async (req, res) => {
    const { data } = await client.get<unknown>(`/plan/${req.params.sku}`)
    res.json(data)
  })
  edgeApp.use(tracingErrorHandler())
  const edgeServer = http.createServer(edgeApp)
  const edgeUrl = await listen(edgeServer)

  // The caller: a client span made with the adapter API, its context sent by an untraced fetch.
  const caller = createClientTracing('consumer').start({
    method: 'GET',
    url: `${edgeUrl}/orders/sku-1`,
  })
  assert.ok(caller)
  const response = await globalThis.fetch(`${edgeUrl}/orders/sku-1`, { headers: caller.headers })
  caller.finish({ statusCode: response.status })
  assert.equal(response.status, 200)
  const body = (await response.json()) as { plan: string; stock: { traceId?: string } }

  // The last server spans finish when Node's response ends, just after the client has it.
  for (let waited = 0; tracer.finishedSpans().length < 7 && waited < 5000; waited += 10) {
    await new Promise((resolve) => setTimeout(resolve, 10))
  }
  unregister()
  await Promise.all([close(edgeServer), close(stockServer), planApp.close()])

  const spans = tracer.finishedSpans()
  assertFinishedOnce(tracer.spans())
  const byId = new Map(spans.map((span) => [span.spanId, span]))
  const lookup = spans.find((span) => span.operationName === 'lookup')
  assert.ok(lookup, 'the in-process span was recorded')
  // Walk from the innermost span up to the root: the chain the request took, reversed.
  const chain: RecordingSpan[] = []
  for (let span: RecordingSpan | undefined = lookup; span;) {
    chain.unshift(span)
    span = span.parentId === undefined ? undefined : byId.get(span.parentId)
  }
  const traceId = caller.span.context().toTraceId()
  assert.equal(spans.length, 7)
  assert.equal(chain.length, 7, 'every span is the child of the one that called it')
  assert.deepEqual(
    chain.map((span) => [span.tags['component'], span.tags['span.kind']]),
    [
      ['consumer', 'client'],
      ['express', 'server'],
      ['axios', 'client'],
      ['fastify', 'server'],
      ['fetch', 'client'],
      ['express', 'server'],
      [undefined, undefined],
    ],
  )
  for (const span of spans) assert.equal(span.traceId, traceId)
  assert.equal(body.stock.traceId, traceId)
  assert.equal(response.headers.get('x-trace-id'), traceId)

  console.log(renderWaterfall(spans))
  const summary = chain.map((span) => ({
    name: span.operationName,
    component: span.tags['component'],
    traceId: span.traceId,
    spanId: span.spanId,
    parentId: span.parentId,
  }))
  console.log(`RESULT ${JSON.stringify({ traceId, spans: summary })}`)
}

main().catch((error: unknown) => {
  console.error(error)
  process.exitCode = 1
})
