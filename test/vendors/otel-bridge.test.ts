// The OpenTelemetry SDK behind the OpenTracing API through @tracehop/otel, with the W3C and B3
// propagators registered globally as an SDK set-up does: spans kept in memory, sent as OTLP/HTTP
// and as Zipkin v2 JSON to receivers on loopback, each decoded and held to the vendor scenario.
import { describe, it } from 'node:test'
import { propagation, type TextMapPropagator } from '@opentelemetry/api'
import {
  CompositePropagator,
  W3CBaggagePropagator,
  W3CTraceContextPropagator,
} from '@opentelemetry/core'
import { OTLPTraceExporter } from '@opentelemetry/exporter-trace-otlp-http'
import { ZipkinExporter } from '@opentelemetry/exporter-zipkin'
import { B3InjectEncoding, B3Propagator } from '@opentelemetry/propagator-b3'
import { InMemorySpanExporter, type SpanExporter } from '@opentelemetry/sdk-trace-base'
import { registerOtelContext } from '@tracehop/example-tracers'
import { createOtelTracer } from '@tracehop/otel'
import { bodiesAt, startCollector } from '../support/net.js'
import { decodeOtlp } from '../support/otlp.js'
import { assertScenario, type VendorSpan } from './support/expectations.js'
import {
  fromBridgeOtlp,
  fromBridgeReadable,
  fromZipkin,
  runOnOtelSdk,
  type ZipkinSpan,
} from './support/otel-backend.js'
import type { ServiceName } from './support/scenario.js'

const w3c = () =>
  new CompositePropagator({
    propagators: [new W3CTraceContextPropagator(), new W3CBaggagePropagator()],
  })
const b3 = () =>
  new CompositePropagator({
    propagators: [
      new B3Propagator({ injectEncoding: B3InjectEncoding.MULTI_HEADER }),
      new W3CBaggagePropagator(),
    ],
  })

registerOtelContext()

function runWith(
  propagator: TextMapPropagator,
  exporter: (service: ServiceName) => SpanExporter,
  beforeShutdown?: () => void,
) {
  propagation.disable()
  propagation.setGlobalPropagator(propagator)
  return runOnOtelSdk(
    (tracerProvider) => createOtelTracer({ tracerProvider }),
    exporter,
    beforeShutdown,
  )
}

describe('vendor: the OpenTelemetry SDK through @tracehop/otel', () => {
  for (const [name, propagator] of [
    ['W3C traceparent + baggage', w3c],
    ['B3 multi-header + W3C baggage', b3],
  ] as const) {
    it(`should join every chain into one trace with ${name}`, async () => {
      const memory = new InMemorySpanExporter()
      let spans: VendorSpan[] = []
      const result = await runWith(
        propagator(),
        () => memory,
        () => (spans = memory.getFinishedSpans().map(fromBridgeReadable)),
      )
      assertScenario(spans, result, { baggage: true })
    })
  }

  it('should send the same over OTLP/HTTP to a receiver', async () => {
    const receiver = await startCollector()
    try {
      const url = `${receiver.url}/v1/traces`
      const result = await runWith(w3c(), () => new OTLPTraceExporter({ url }))
      const received = bodiesAt(receiver.requests, '/v1/traces').flatMap(decodeOtlp)
      assertScenario(received.map(fromBridgeOtlp), result, { baggage: true })
    } finally {
      await receiver.close()
    }
  })

  it('should send the same as Zipkin v2 JSON to a Zipkin receiver', async () => {
    const receiver = await startCollector()
    try {
      const url = `${receiver.url}/api/v2/spans`
      const result = await runWith(w3c(), (serviceName) => new ZipkinExporter({ url, serviceName }))
      const received = bodiesAt(receiver.requests, '/api/v2/spans').flatMap(
        (body) => JSON.parse(body) as ZipkinSpan[],
      )
      assertScenario(received.map(fromZipkin), result, { baggage: true })
    } finally {
      await receiver.close()
    }
  })
})
