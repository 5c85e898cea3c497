// The OpenTelemetry SDK behind the OpenTracing API, through @opentelemetry/shim-opentracing:
// W3C `traceparent` and `baggage` on the wire, spans sent where the exporter says.
import {
  CompositePropagator,
  W3CBaggagePropagator,
  W3CTraceContextPropagator,
} from '@opentelemetry/core'
import { OTLPTraceExporter } from '@opentelemetry/exporter-trace-otlp-http'
import { resourceFromAttributes } from '@opentelemetry/resources'
import {
  BasicTracerProvider,
  InMemorySpanExporter,
  SimpleSpanProcessor,
  type SpanExporter,
} from '@opentelemetry/sdk-trace-base'
import { TracerShim } from '@opentelemetry/shim-opentracing'
import type { TracerHandle } from './handle.js'

/** An OpenTracing tracer over the OTel SDK for `serviceName`, exporting every span to `exporter`. */
export function otelTracer(
  serviceName: string,
  exporter: SpanExporter,
  kind = 'otel',
): TracerHandle {
  const provider = new BasicTracerProvider({
    resource: resourceFromAttributes({ 'service.name': serviceName }),
    spanProcessors: [new SimpleSpanProcessor(exporter)],
  })
  // Without explicit propagators the shim uses the global OTel propagator, a silent no-op unless
  // an SDK registered one: name them, so context always travels.
  const propagator = new CompositePropagator({
    propagators: [new W3CTraceContextPropagator(), new W3CBaggagePropagator()],
  })
  const tracer = new TracerShim(provider.getTracer('tracehop'), {
    textMapPropagator: propagator,
    httpHeadersPropagator: propagator,
  })
  return { tracer, kind, close: () => provider.shutdown() }
}

/** The OTel SDK keeping spans in memory (read them from `exporter.getFinishedSpans()`). */
export function inMemoryOtelTracer(
  serviceName: string,
  exporter = new InMemorySpanExporter(),
): TracerHandle & { exporter: InMemorySpanExporter } {
  return { ...otelTracer(serviceName, exporter), exporter }
}

/**
 * The OTel SDK exporting OTLP/HTTP (JSON) to `OTEL_EXPORTER_OTLP_TRACES_ENDPOINT`, else
 * `OTEL_EXPORTER_OTLP_ENDPOINT` + `/v1/traces` (default `http://localhost:4318`): Jaeger v2 and
 * most backends take it.
 */
export function otlpTracer(
  serviceName: string,
  env: NodeJS.ProcessEnv = process.env,
): TracerHandle {
  const base = env.OTEL_EXPORTER_OTLP_ENDPOINT ?? 'http://localhost:4318'
  const url = env.OTEL_EXPORTER_OTLP_TRACES_ENDPOINT ?? `${base.replace(/\/+$/, '')}/v1/traces`
  return otelTracer(serviceName, new OTLPTraceExporter({ url }), 'otlp')
}
