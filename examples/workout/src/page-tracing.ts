// Tracing in a page, as a browser app sets it up: the OTel web SDK exporting OTLP/JSON to the
// page's own origin, and tracehop's tracer on it as the global OpenTracing tracer.
import { OTLPTraceExporter } from '@opentelemetry/exporter-trace-otlp-http'
import { resourceFromAttributes } from '@opentelemetry/resources'
import { BatchSpanProcessor, WebTracerProvider } from '@opentelemetry/sdk-trace-web'
import { createOtelTracer } from '@tracehop/otel'
import { initGlobalTracer } from 'opentracing'

/**
 * Registers the OTel web SDK (its defaults: the StackContextManager and the W3C trace context and
 * baggage propagators) with spans of `service` going to `${origin}/v1/traces`, and tracehop's
 * tracer on it; returns the provider, whose forceFlush() sends the finished spans at once.
 */
export function registerPageTracing(service: string, origin: string): WebTracerProvider {
  const provider = new WebTracerProvider({
    resource: resourceFromAttributes({ 'service.name': service }),
    spanProcessors: [new BatchSpanProcessor(new OTLPTraceExporter({ url: `${origin}/v1/traces` }))],
  })
  provider.register()
  initGlobalTracer(createOtelTracer())
  return provider
}
