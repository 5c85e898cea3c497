// Two services on loopback, checkout calling inventory; each trace is printed as a waterfall.
import { once } from 'node:events'
import type { AddressInfo } from 'node:net'
import { RecordingTracer, groupByTrace, renderWaterfall } from '@tracehop/testing'
import { checkoutService, inventoryService } from './services.js'

const tracer = new RecordingTracer()
const inventory = inventoryService(tracer).listen(0, '127.0.0.1')
await once(inventory, 'listening')
const inventoryUrl = `http://127.0.0.1:${(inventory.address() as AddressInfo).port}`
const checkout = checkoutService(tracer, inventoryUrl).listen(0, '127.0.0.1')
await once(checkout, 'listening')
const checkoutUrl = `http://127.0.0.1:${(checkout.address() as AddressInfo).port}`

for (const [cart, items] of [
  ['c-1', 'apple,bread'],
  ['c-2', 'apple,cheese,bread'],
]) {
  const response = await fetch(`${checkoutUrl}/carts/${cart}/total?items=${items}`)
  console.log(`GET /carts/${cart}/total → ${response.status} ${await response.text()}`)
}

// Server spans finish when their response closes, just after the client has read it.
await new Promise((resolve) => setTimeout(resolve, 50))
for (const [traceId, spans] of groupByTrace(tracer.finishedSpans())) {
  const slowest = spans
    .filter((span) => span.parentId !== undefined)
    .reduce((a, b) => ((a.duration ?? 0) >= (b.duration ?? 0) ? a : b))
  console.log(`\ntrace ${traceId} (${spans.length} spans)`)
  console.log(renderWaterfall(spans))
  console.log(`slowest hop: ${slowest.operationName} (${(slowest.duration ?? 0).toFixed(1)} ms)`)
}

checkout.close()
inventory.close()
checkout.closeAllConnections()
inventory.closeAllConnections()
