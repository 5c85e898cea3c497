// The OpenTelemetry SDK behind the OpenTracing API (@opentelemetry/shim-opentracing), with the
// W3C, Jaeger and B3 propagators: spans kept in memory, and sent as OTLP/HTTP to a receiver on
// loopback.
import { describe, it } from 'node:test'
import {
  CompositePropagator,
  W3CBaggagePropagator,
  W3CTraceContextPropagator,
} from '@opentelemetry/core'
import { OTLPTraceExporter } from '@opentelemetry/exporter-trace-otlp-http'
import { B3InjectEncoding, B3Propagator } from '@opentelemetry/propagator-b3'
import { JaegerPropagator } from '@opentelemetry/propagator-jaeger'
import { InMemorySpanExporter, type SpanExporter } from '@opentelemetry/sdk-trace-base'
import { TracerShim } from '@opentelemetry/shim-opentracing'
import type { TextMapPropagator } from '@opentelemetry/api'
import { bodiesAt, startCollector } from '../support/net.js'
import { decodeOtlp } from '../support/otlp.js'
import { assertScenario, type VendorSpan } from './support/expectations.js'
import { fromOtlp, fromReadable, runOnOtelSdk } from './support/otel-backend.js'

const propagators: Record<string, () => TextMapPropagator> = {
  'W3C traceparent + baggage': () =>
    new CompositePropagator({
      propagators: [new W3CTraceContextPropagator(), new W3CBaggagePropagator()],
    }),
  // Deprecated by OpenTelemetry, still what Jaeger-instrumented services send.
  // eslint-disable-next-line @typescript-eslint/no-deprecated
  'Jaeger uber-trace-id + uberctx-': () => new JaegerPropagator(),
  'B3 multi-header + W3C baggage': () =>
    new CompositePropagator({
      propagators: [
        new B3Propagator({ injectEncoding: B3InjectEncoding.MULTI_HEADER }),
        new W3CBaggagePropagator(),
      ],
    }),
}

function runWith(
  propagator: () => TextMapPropagator,
  exporter: () => SpanExporter,
  beforeShutdown?: () => void,
) {
  return runOnOtelSdk(
    (provider) => {
      const shared = propagator()
      return new TracerShim(provider.getTracer('tracehop-vendor-test'), {
        textMapPropagator: shared,
        httpHeadersPropagator: shared,
      })
    },
    exporter,
    beforeShutdown,
  )
}

describe('vendor: the OpenTelemetry SDK through its OpenTracing shim', () => {
  for (const [name, propagator] of Object.entries(propagators)) {
    it(`should join every chain into one trace with ${name}`, async () => {
      const memory = new InMemorySpanExporter()
      let spans: VendorSpan[] = []
      const result = await runWith(
        propagator,
        () => memory,
        () => (spans = memory.getFinishedSpans().map(fromReadable)),
      )
      assertScenario(spans, result, { baggage: true })
    })
  }

  it('should send the same over OTLP/HTTP to a receiver', async () => {
    const receiver = await startCollector()
    try {
      const result = await runWith(
        propagators['W3C traceparent + baggage']!,
        () => new OTLPTraceExporter({ url: `${receiver.url}/v1/traces` }),
      )
      const received = bodiesAt(receiver.requests, '/v1/traces').flatMap(decodeOtlp)
      assertScenario(received.map(fromOtlp), result, { baggage: true })
    } finally {
      await receiver.close()
    }
  })
})
