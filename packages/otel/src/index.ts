// @tracehop/otel: OpenTracing on the OpenTelemetry API, sharing one context with OTel.
import { setContextStore } from '@tracehop/core/adapter'
import type { Tracer } from 'opentracing'
import { hasContextManager, hasPropagator, otelContextStore } from './store.js'
import { OpenTracingOnOtel, type OtelTracerOptions } from './tracer.js'

export type { OtelTracerOptions } from './tracer.js'

/**
 * An OpenTracing Tracer built on `@opentelemetry/api`: spans go to the OTel SDK the application
 * set up, with OTel span kinds, the stable HTTP semantic conventions and OTel's status rules;
 * context travels through OTel's global propagator; and tracehop's active span becomes OTel's
 * (when a context manager is registered), so OTel instrumentations' spans are its children.
 * Default options: OTel attribute names only.
 *
 * @example initGlobalTracer(createOtelTracer())
 */
export function createOtelTracer(options: OtelTracerOptions = {}): Tracer {
  const tracer = new OpenTracingOnOtel(options)
  if (hasContextManager()) {
    setContextStore(otelContextStore(tracer))
  } else {
    warnOnce(
      'TRACEHOP_OTEL_NO_CONTEXT_MANAGER',
      'no OpenTelemetry context manager is registered: tracehop keeps its own active span, and ' +
        'OTel instrumentations will not see it (register one, e.g. with NodeTracerProvider.register())',
    )
  }
  if (!hasPropagator()) {
    warnOnce(
      'TRACEHOP_OTEL_NO_PROPAGATOR',
      'no OpenTelemetry propagator is registered: no trace context is sent to or read from other ' +
        'services (register one, e.g. W3CTraceContextPropagator, with propagation.setGlobalPropagator())',
    )
  }
  return tracer
}

const warned = new Set<string>()

function warnOnce(code: string, message: string): void {
  if (warned.has(code)) return
  warned.add(code)
  process.emitWarning(`tracehop: ${message}`, { code })
}
