// Two services in one process, each with its own provider and bridge: each bridge's spans stay
// with its provider, under OTel's spans too. Its own file: a bridge made here replaces the context
// store that the other test files' bridges installed.
import assert from 'node:assert/strict'
import { describe, it } from 'node:test'
import {
  BasicTracerProvider,
  InMemorySpanExporter,
  SimpleSpanProcessor,
} from '@opentelemetry/sdk-trace-base'
import { startActiveSpan, withSpan } from '@tracehop/core'
import { createOtelTracer } from '../src/index.js'
import '../../../test/support/otel-sdk.js'

function service() {
  const exporter = new InMemorySpanExporter()
  const provider = new BasicTracerProvider({ spanProcessors: [new SimpleSpanProcessor(exporter)] })
  const tracer = createOtelTracer({ tracerProvider: provider })
  return { provider, tracer, spans: () => exporter.getFinishedSpans().map((span) => span.name) }
}

describe('one provider per service', () => {
  it("should start a span under an OTel span with its service's provider", () => {
    const orders = service()
    const billing = service()
    const request = orders.tracer.startSpan('request', { tags: { 'span.kind': 'server' } })
    withSpan(request, () =>
      orders.provider.getTracer('app').startActiveSpan('db', (db) => {
        startActiveSpan('step', () => undefined)
        db.end()
      }),
    )
    request.finish()
    assert.deepEqual(orders.spans(), ['step', 'db', 'request'])
    assert.deepEqual(billing.spans(), [])
  })
})
