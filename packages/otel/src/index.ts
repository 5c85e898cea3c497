// @tracehop/otel: OpenTracing on the OpenTelemetry API, sharing one context with OTel.
import type { Tracer } from 'opentracing'
import { createOtelTracerOn, type Platform } from './setup.js'
import type { OtelTracerOptions } from './tracer.js'
import { transportInstrumented } from './transport.js'

export type { OtelTracerOptions } from './tracer.js'

const node: Platform = {
  tracesTransport: transportInstrumented,
  providerName: 'NodeTracerProvider',
}

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
  return createOtelTracerOn(options, node)
}
