// Mixed vendors: services traced by different tracers join one trace when they speak a common
// header format. edge and stock use the OTel SDK (shim), planner jaeger-client; the spans of both
// backends are merged and checked as one.
import { describe, it } from 'node:test'
import type { TextMapPropagator } from '@opentelemetry/api'
import { CompositePropagator, W3CBaggagePropagator } from '@opentelemetry/core'
import { B3InjectEncoding, B3Propagator } from '@opentelemetry/propagator-b3'
import { JaegerPropagator } from '@opentelemetry/propagator-jaeger'
import { resourceFromAttributes } from '@opentelemetry/resources'
import {
  BasicTracerProvider,
  InMemorySpanExporter,
  SimpleSpanProcessor,
} from '@opentelemetry/sdk-trace-base'
import { TracerShim } from '@opentelemetry/shim-opentracing'
import jaeger, { type JaegerTracer } from 'jaeger-client'
import { FORMAT_HTTP_HEADERS, type Tracer } from 'opentracing'
import { assertScenario, type VendorSpan } from './support/expectations.js'
import { startUdpAgent } from './support/jaeger-backend.js'
import { fromReadable } from './support/otel-backend.js'
import { runScenario, type ServiceName } from './support/scenario.js'

// jaeger-client exports its B3 codec; its community typings do not.
const { ZipkinB3TextMapCodec } = jaeger as unknown as {
  ZipkinB3TextMapCodec: new (options: object) => object
}

interface Combination {
  otel: () => TextMapPropagator
  /** Makes jaeger-client speak the same headers (it speaks uber-trace-id by default). */
  jaeger: (tracer: JaegerTracer) => void
  baggage: boolean
}

const combinations: Record<string, Combination> = {
  'B3 (OTel B3Propagator, jaeger-client ZipkinB3TextMapCodec)': {
    otel: () =>
      new CompositePropagator({
        propagators: [
          new B3Propagator({ injectEncoding: B3InjectEncoding.MULTI_HEADER }),
          new W3CBaggagePropagator(),
        ],
      }),
    jaeger: (tracer) => {
      const codec = new ZipkinB3TextMapCodec({ urlEncoding: true })
      const registrar = tracer as unknown as {
        registerInjector(format: string, codec: object): void
        registerExtractor(format: string, codec: object): void
      }
      registrar.registerInjector(FORMAT_HTTP_HEADERS, codec)
      registrar.registerExtractor(FORMAT_HTTP_HEADERS, codec)
    },
    // Baggage does not cross: B3 has none, and the two tracers put it in different headers.
    baggage: false,
  },
  'uber-trace-id (OTel JaegerPropagator, jaeger-client default)': {
    // eslint-disable-next-line @typescript-eslint/no-deprecated
    otel: () => new JaegerPropagator(),
    jaeger: () => undefined,
    baggage: true,
  },
}

describe('vendor: mixed tracers in one system', () => {
  for (const [name, combination] of Object.entries(combinations)) {
    it(`should join one trace across the OTel shim and jaeger-client with ${name}`, async () => {
      const agent = await startUdpAgent()
      const memory = new InMemorySpanExporter()
      const providers: BasicTracerProvider[] = []
      const jaegers: JaegerTracer[] = []
      const tracers = new Map<ServiceName, Tracer>()
      const otelTracer = (service: ServiceName) => {
        const provider = new BasicTracerProvider({
          resource: resourceFromAttributes({ 'service.name': service }),
          spanProcessors: [new SimpleSpanProcessor(memory)],
        })
        providers.push(provider)
        const propagator = combination.otel()
        return new TracerShim(provider.getTracer('mixed'), {
          textMapPropagator: propagator,
          httpHeadersPropagator: propagator,
        })
      }
      const jaegerTracer = (service: ServiceName) => {
        const tracer = jaeger.initTracer(
          {
            serviceName: service,
            sampler: { type: 'const', param: 1 },
            reporter: { agentHost: '127.0.0.1', agentPort: agent.port, flushIntervalMs: 20 },
          },
          { logger: { info: () => undefined, error: () => undefined } },
        )
        combination.jaeger(tracer)
        jaegers.push(tracer)
        return tracer
      }
      try {
        const result = await runScenario((service) => {
          let tracer = tracers.get(service)
          if (tracer === undefined) {
            tracer = service === 'planner' ? jaegerTracer(service) : otelTracer(service)
            tracers.set(service, tracer)
          }
          return tracer
        })
        for (const tracer of jaegers) await new Promise<void>((done) => tracer.close(() => done()))
        await new Promise((resolve) => setTimeout(resolve, 100))
        const otelSpans: VendorSpan[] = memory.getFinishedSpans().map(fromReadable)
        assertScenario([...otelSpans, ...agent.spans], result, { baggage: combination.baggage })
      } finally {
        for (const provider of providers) await provider.shutdown()
        agent.close()
      }
    })
  }
})
