// @tracehop/otel on the OpenTelemetry JS SDK 3 (API 1.10, Node >= 22.15), installed apart in
// tools/otel3. The bridge resolves the root's API 1.9 and reaches SDK 3 through the API's global
// registration, which lets an older minor of the API use a newer one's SDK.
import assert from 'node:assert/strict'
import { createRequire } from 'node:module'
import { describe, it } from 'node:test'
import { fileURLToPath } from 'node:url'
import type * as OtelApi from '@opentelemetry/api'
import type * as ContextAsyncHooks from '@opentelemetry/context-async-hooks'
import type * as OtelCore from '@opentelemetry/core'
import type * as Sdk2Module from '@opentelemetry/sdk-trace-base'
import { withSpan } from '@tracehop/core'
import { createClientTracing, createServerTracing } from '@tracehop/core/adapter'
import { createOtelTracer } from '@tracehop/otel'

// Types only: at run time every OTel module here comes from tools/otel3.
type Api = typeof OtelApi
type Sdk2 = typeof Sdk2Module
// The few SDK 3 shapes used here (its types live with the SDK 3 install, not the root's).
interface Sdk3 {
  TracerProvider: Sdk2['BasicTracerProvider']
  InMemorySpanExporter: Sdk2['InMemorySpanExporter']
  SimpleSpanProcessor: new (options: {
    exporter: InstanceType<Sdk2['InMemorySpanExporter']>
  }) => InstanceType<Sdk2['SimpleSpanProcessor']>
}

const [major = 0, minor = 0] = process.versions.node.split('.').map(Number)
const sdk3Runs = major > 22 || (major === 22 && minor >= 15)
const fromTools = createRequire(fileURLToPath(new URL('../../tools/otel3/', import.meta.url)))

describe(
  '@tracehop/otel on the OpenTelemetry SDK 3',
  { skip: !sdk3Runs && 'SDK 3 needs Node >= 22.15' },
  () => {
    it('should export SERVER and CLIENT spans with stable attributes, in one context with OTel', async () => {
      const api = fromTools('@opentelemetry/api') as Api
      const { TracerProvider, InMemorySpanExporter, SimpleSpanProcessor } = fromTools(
        '@opentelemetry/sdk-trace',
      ) as Sdk3
      const { AsyncLocalStorageContextManager } = fromTools(
        '@opentelemetry/context-async-hooks',
      ) as typeof ContextAsyncHooks
      const { CompositePropagator, W3CTraceContextPropagator, W3CBaggagePropagator } = fromTools(
        '@opentelemetry/core',
      ) as typeof OtelCore
      const exporter = new InMemorySpanExporter()
      // SDK 3's processors take an options object.
      const processor = new SimpleSpanProcessor({ exporter })
      const provider = new TracerProvider({ spanProcessors: [processor] })
      api.trace.setGlobalTracerProvider(provider)
      api.context.setGlobalContextManager(new AsyncLocalStorageContextManager().enable())
      api.propagation.setGlobalPropagator(
        new CompositePropagator({
          propagators: [new W3CTraceContextPropagator(), new W3CBaggagePropagator()],
        }),
      )

      const registry = (globalThis as Record<symbol, { version?: string } | undefined>)[
        Symbol.for('opentelemetry.js.api.1')
      ]
      assert.equal(registry?.version, '1.10.0', 'the SDK 3 stack registered through API 1.10')

      const tracer = createOtelTracer()
      const server = createServerTracing('express', { tracer })
      const client = createClientTracing('fetch', { tracer })
      const traceparent = '00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01'
      const handle = server.start({ method: 'GET', url: '/orders/7', headers: { traceparent } })
      assert.ok(handle)
      let sent: Record<string, string> = {}
      await withSpan(handle.span, async () => {
        await new Promise((resolve) => setTimeout(resolve, 1))
        api.trace.getTracer('app').startActiveSpan('db.query', (span) => span.end())
        const call = client.start({ method: 'GET', url: 'https://stock.test/items/7' })
        sent = { ...call?.headers }
        call?.finish({ statusCode: 503 })
      })
      handle.finish({ statusCode: 200, route: '/orders/:id' })
      await provider.forceFlush()

      const spans = exporter.getFinishedSpans()
      const byName = new Map(spans.map((span) => [span.name, span]))
      const request = byName.get('GET /orders/:id')
      const query = byName.get('db.query')
      const call = byName.get('GET stock.test:443')
      assert.equal(request?.kind, api.SpanKind.SERVER)
      assert.equal(request.parentSpanContext?.spanId, 'b7ad6b7169203331')
      assert.equal(request.attributes['http.route'], '/orders/:id')
      assert.equal(request.attributes['http.response.status_code'], 200)
      assert.equal(query?.parentSpanContext?.spanId, request.spanContext().spanId)
      assert.equal(call?.kind, api.SpanKind.CLIENT)
      assert.equal(call.parentSpanContext?.spanId, request.spanContext().spanId)
      assert.equal(call.attributes['url.full'], 'https://stock.test/items/7')
      assert.equal(call.status.code, api.SpanStatusCode.ERROR)
      assert.equal(call.attributes['error.type'], '503')
      assert.equal(
        sent.traceparent,
        `00-0af7651916cd43dd8448eb211c80319c-${call.spanContext().spanId}-01`,
      )
    })
  },
)
