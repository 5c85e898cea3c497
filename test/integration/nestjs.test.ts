// The NestJS example (examples/nestjs) on both of Nest's HTTP platforms, over real sockets: the
// span Nest's request gets, its name under the global prefix, the provider's view of it, the
// next hop, and errors answered by Nest's exception layer.
import assert from 'node:assert/strict'
import { after, before, describe, it } from 'node:test'
import { fileURLToPath } from 'node:url'
import type { INestApplication } from '@nestjs/common'
import type * as NestExample from '@tracehop/example-nestjs'
import { parseTraceParent, type RecordingSpan } from '@tracehop/testing'
import { tsImport } from 'tsx/esm/api'
import { finishedSpans, makeTraceparent, send, type RunningServer } from '../support/net.js'
import { useRecordingTracer } from '../support/recording-tracer.js'

// Nest's decorators need TypeScript's `experimentalDecorators`, which the example's tsconfig sets
// and the repository root's (the one tsx reads when tests run) does not: load it with its own.
const exampleTsconfig = fileURLToPath(
  new URL('../../examples/nestjs/tsconfig.json', import.meta.url),
)
const loadExample = (): Promise<typeof NestExample> =>
  tsImport('@tracehop/example-nestjs', {
    parentURL: import.meta.url,
    tsconfig: exampleTsconfig,
  }) as Promise<typeof NestExample>

for (const platform of ['express', 'fastify'] as const) {
  describe(`NestJS on ${platform}`, () => {
    const recording = useRecordingTracer()
    let example: typeof NestExample
    let inventory: NestExample.Inventory

    before(async () => {
      example = await loadExample()
      inventory = await example.startInventory()
    })
    after(() => inventory.close())

    const start = async (): Promise<RunningServer> => {
      const app: INestApplication = await example.createApp({
        platform,
        inventoryUrl: inventory.url,
        tracer: recording.tracer,
        logger: false,
      })
      await app.listen(0, '127.0.0.1')
      const url = await app.getUrl()
      recording.server = { url, port: Number(new URL(url).port), close: () => app.close() }
      return recording.server
    }
    const serverSpan = async (count: number): Promise<RecordingSpan> => {
      const spans = await finishedSpans(recording.tracer, count)
      const servers = spans.filter((span) => span.tags['span.kind'] === 'server')
      assert.equal(servers.length, 1)
      return servers[0]!
    }

    it('should name the span by method, global prefix and route template, continuing the caller', async () => {
      const { url } = await start()
      const caller = makeTraceparent()
      const response = await send(`${url}/api/items/42?view=full`, {
        headers: { traceparent: caller.header },
      })
      assert.equal(response.status, 200)
      const span = await serverSpan(2)
      assert.equal(span.operationName, 'GET /api/items/:id')
      assert.equal(span.tags['http.route'], '/api/items/:id')
      assert.equal(span.tags.component, platform)
      assert.equal(span.tags['http.status_code'], 200)
      assert.equal(span.traceId, caller.traceId)
      assert.equal(span.parentId, caller.spanId)
      assert.equal(span.tags.error, undefined)
    })

    it("should make the request span active in Nest's middleware and the provider, the next hop its child", async () => {
      const { url } = await start()
      const caller = makeTraceparent()
      const before = inventory.received.length
      const response = await send(`${url}/api/items/7`, {
        headers: { traceparent: caller.header, 'x-tenant-id': 'acme' },
      })
      const body = JSON.parse(response.body) as NestExample.Item
      assert.deepEqual(body, { id: '7', stock: 7, traceId: caller.traceId })
      const span = await serverSpan(2)
      assert.equal(span.tags['item.id'], '7')
      assert.equal(span.tags['tenant.id'], 'acme') // tagged by Nest middleware
      const client = recording.tracer.finishedSpans().find((other) => other !== span)!
      assert.equal(client.tags['span.kind'], 'client')
      assert.equal(client.parentId, span.spanId)
      assert.equal(client.traceId, caller.traceId)
      const received = inventory.received.slice(before)
      assert.equal(received.length, 1)
      const sent = parseTraceParent(String(received[0]!.traceparent))
      assert.equal(sent?.traceId, caller.traceId)
      assert.equal(sent?.spanId, client.spanId)
    })

    it('should record a thrown 404 HttpException as a 4xx answer, not an error', async () => {
      const { url } = await start()
      const response = await send(`${url}/api/items/missing`)
      assert.equal(response.status, 404)
      assert.equal(
        (JSON.parse(response.body) as { message: string }).message,
        'item missing not found',
      )
      const span = await serverSpan(2)
      assert.equal(span.operationName, 'GET /api/items/:id')
      assert.equal(span.tags['http.status_code'], 404)
      assert.equal(span.tags.error, undefined)
      assert.equal(span.logs.length, 0)
    })

    it('should record an unexpected error as a 500 with one error log', async () => {
      const { url } = await start()
      const response = await send(`${url}/api/items/broken`)
      assert.equal(response.status, 500)
      assert.deepEqual(JSON.parse(response.body), {
        statusCode: 500,
        message: 'Internal server error',
      })
      const span = await serverSpan(2)
      assert.equal(span.operationName, 'GET /api/items/:id')
      assert.equal(span.tags.error, true)
      assert.equal(span.tags['http.status_code'], 500)
      assert.equal(span.logs.filter((log) => log.fields.event === 'error').length, 1)
    })

    it('should log the thrown error itself (message, kind, object, stack)', async () => {
      const { url } = await start()
      await send(`${url}/api/items/broken`)
      const span = await serverSpan(2)
      const log = span.logs.find((entry) => entry.fields.event === 'error')
      assert.equal(log?.fields.message, 'inventory answered 503')
      assert.equal(log.fields['error.kind'], 'Error')
      assert.ok(log.fields['error.object'] instanceof Error)
      assert.match(String(log.fields.stack), /Error: inventory answered 503/)
    })
  })
}
