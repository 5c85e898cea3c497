// A Fastify service traced with @tracehop/fastify, exercised with a few requests; prints what the
// tracer recorded. Swap RecordingTracer for your vendor's tracer with initGlobalTracer().
import { startActiveSpan, traceIds } from '@tracehop/core'
import { tracingPlugin } from '@tracehop/fastify'
import { RecordingTracer, renderWaterfall } from '@tracehop/testing'
import Fastify from 'fastify'
import { initGlobalTracer } from 'opentracing'

const tracer = new RecordingTracer()
initGlobalTracer(tracer)

const app = Fastify()
await app.register(tracingPlugin, { ignore: ['/healthz'], traceResponseHeader: true })
app.get('/healthz', () => 'ok')
await app.register(
  (orders, _options, done) => {
    orders.post<{ Body: { items?: unknown[] } }>('/orders', async (request, reply) => {
      const count = startActiveSpan('validateOrder', (span) => {
        const items = Array.isArray(request.body.items) ? request.body.items : []
        span.setTag('order.items', items.length)
        if (items.length === 0) throw Object.assign(new Error('no items'), { statusCode: 400 })
        return items.length
      })
      return reply.code(201).send({ count, trace: traceIds()?.traceId })
    })
    orders.get('/orders/:id', () => {
      throw new Error('order store unavailable')
    })
    done()
  },
  { prefix: '/api/v1' },
)

await app.listen({ port: 0, host: '127.0.0.1' })
const address = app.server.address()
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
  console.log(
    `${method} ${path} → ${response.status} (x-trace-id: ${response.headers.get('x-trace-id') ?? '-'})`,
  )
}
await app.close()

console.log('')
for (const span of tracer.finishedSpans().filter((span) => span.parentId === undefined)) {
  const family = tracer.finishedSpans().filter((other) => other.traceId === span.traceId)
  const status = span.tags['http.status_code']
  const error = span.tags.error === true ? ' error' : ''
  console.log(`${renderWaterfall(family, { width: 24 })}   [${String(status)}${error}]`)
}
