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
import { resourceFromAttributes } from '@opentelemetry/resources'
import {
  BasicTracerProvider,
  InMemorySpanExporter,
  SimpleSpanProcessor,
  type SpanExporter,
} from '@opentelemetry/sdk-trace-base'
import { TracerShim } from '@opentelemetry/shim-opentracing'
import type { TextMapPropagator } from '@opentelemetry/api'
import { bodiesAt, startCollector } from '../support/net.js'
import { decodeOtlp } from '../support/otlp.js'
import { assertScenario, type VendorSpan } from './support/expectations.js'
import { fromOtlp, fromReadable } from './support/otel-backend.js'
import { runScenario, type ServiceName } from './support/scenario.js'

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

async function runWith(
  propagator: () => TextMapPropagator,
  exporter: () => SpanExporter,
  beforeShutdown: () => void = () => undefined,
) {
  const providers: BasicTracerProvider[] = []
  const tracers = new Map<ServiceName, TracerShim>()
  const result = await runScenario((service) => {
    let tracer = tracers.get(service)
    if (tracer === undefined) {
      const provider = new BasicTracerProvider({
        resource: resourceFromAttributes({ 'service.name': service }),
        spanProcessors: [new SimpleSpanProcessor(exporter())],
      })
      providers.push(provider)
      const shared = propagator()
      tracer = new TracerShim(provider.getTracer('tracehop-vendor-test'), {
        textMapPropagator: shared,
        httpHeadersPropagator: shared,
      })
      tracers.set(service, tracer)
    }
    return tracer
  })
  for (const provider of providers) await provider.forceFlush()
  // Shutting down clears an in-memory exporter: read it first.
  beforeShutdown()
  for (const provider of providers) await provider.shutdown()
  return result
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
