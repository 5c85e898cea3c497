// The NestJS service on the platform named by the first argument or PLATFORM (`express`, the
// default, or `fastify`), calling a stand-in inventory service; sends a few requests as a caller
// already in a trace would, and prints what the tracer recorded. Swap RecordingTracer for your
// vendor's tracer with initGlobalTracer().
import { RecordingTracer, renderWaterfall } from '@tracehop/testing'
import { initGlobalTracer } from 'opentracing'
import { createApp, type Platform } from './app.js'
import { startInventory } from './inventory.js'

const platform = (process.argv[2] ?? process.env.PLATFORM ?? 'express') as Platform
if (platform !== 'express' && platform !== 'fastify') {
  throw new Error(`unknown platform ${String(platform)}: express or fastify`)
}
const tracer = new RecordingTracer()
initGlobalTracer(tracer)

const inventory = await startInventory()
const app = await createApp({
  platform,
  inventoryUrl: inventory.url,
  logger: ['log', 'warn', 'error'],
})
await app.listen(0, '127.0.0.1')
const base = await app.getUrl()
const caller = '00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01'
for (const id of ['42', 'missing', 'broken']) {
  const response = await fetch(`${base}/api/items/${id}`, { headers: { traceparent: caller } })
  console.log(`GET /api/items/${id} → ${response.status} ${await response.text()}`)
}
await app.close()
await inventory.close()
for (const headers of inventory.received) {
  console.log(`inventory received traceparent ${String(headers.traceparent)}`)
}

console.log(`\n${platform}:`)
for (const span of tracer.finishedSpans().filter((span) => span.tags['span.kind'] === 'server')) {
  const family = tracer
    .finishedSpans()
    .filter((other) => other === span || other.parentId === span.spanId)
  const status = span.tags['http.status_code']
  const error = span.tags.error === true ? ' error' : ''
  console.log(`${renderWaterfall(family, { width: 24 })}   [${String(status)}${error}]`)
}
