// A Koa service traced with the adapter in ./tracing.ts, exercised with a few requests; prints the
// spans the tracer recorded. Swap RecordingTracer for your vendor's tracer with initGlobalTracer().
import { bodyParser } from '@koa/bodyparser'
import Router from '@koa/router'
import { startActiveSpan, traceIds } from '@tracehop/core'
import { RecordingTracer, renderWaterfall } from '@tracehop/testing'
import Koa from 'koa'
import { initGlobalTracer } from 'opentracing'
import { koaTracing } from './tracing.js'

const tracer = new RecordingTracer()
initGlobalTracer(tracer)

const app = new Koa()
app.use(koaTracing({ ignore: ['/healthz'], traceResponseHeader: true }))
app.use(bodyParser())
const orders = new Router({ prefix: '/api/v1' })
orders.post('/orders', (ctx) => {
  const body = ctx.request.body as { items?: unknown }
  const count = startActiveSpan('validateOrder', (span) => {
    const items = Array.isArray(body.items) ? body.items : []
    span.setTag('order.items', items.length)
    return items.length
  })
  ctx.status = count === 0 ? 400 : 201
  ctx.body = { count, trace: traceIds()?.traceId }
})
orders.get('/orders/:id', () => {
  throw new Error('order store unavailable')
})
app.use(orders.routes())
app.use((ctx) => {
  if (ctx.path === '/healthz') ctx.body = 'ok'
})
app.silent = true

const server = app.listen(0, '127.0.0.1')
await new Promise((resolve) => server.once('listening', resolve))
const address = server.address()
const base = `http://127.0.0.1:${typeof address === 'object' && address ? address.port : 0}`
const calls: Array<[string, string, unknown?]> = [
  ['GET', '/healthz'],
  ['POST', '/api/v1/orders', { items: ['tea', 'scones'] }],
  ['POST', '/api/v1/orders', { items: [] }],
  ['GET', '/api/v1/orders/42'],
]
for (const [method, path, body] of calls) {
  const response = await fetch(`${base}${path}`, {
    method,
    headers: body === undefined ? {} : { 'content-type': 'application/json' },
    body: body === undefined ? null : JSON.stringify(body),
  })
  const traceId = response.headers.get('x-trace-id') ?? '-'
  console.log(`${method} ${path} → ${response.status} (x-trace-id: ${traceId})`)
}
await new Promise((resolve) => server.close(resolve))

console.log('')
for (const span of tracer.finishedSpans().filter((span) => span.parentId === undefined)) {
  const family = tracer.finishedSpans().filter((other) => other.traceId === span.traceId)
  const status = span.tags['http.status_code']
  const error = span.tags.error === true ? ' error' : ''
  console.log(`${renderWaterfall(family, { width: 24 })}   [${String(status)}${error}]`)
}
