// @tracehop/otel in the browser: the same tracer, for @opentelemetry/sdk-trace-web (its
// StackContextManager or ZoneContextManager holds the active span). No Node built-in is imported.
import type { Tracer } from 'opentracing'
import { createOtelTracerOn, type Platform } from './setup.js'
import type { OtelTracerOptions } from './tracer.js'

export type { OtelTracerOptions } from './tracer.js'

// OTel's web fetch/XHR instrumentations are not used beside tracedFetch: tracehop always injects.
const browser: Platform = {
  tracesTransport: () => false,
  providerName: 'WebTracerProvider',
}

/**
 * An OpenTracing Tracer built on `@opentelemetry/api`, for a page whose OTel SDK is
 * `@opentelemetry/sdk-trace-web` (`new WebTracerProvider(...).register()`): tracehop's active
 * span is OTel's, so `tracedFetch` and axios calls are children of the span the page made active.
 * Default options: OTel attribute names only.
 *
 * @example initGlobalTracer(createOtelTracer())
 */
export function createOtelTracer(options: OtelTracerOptions = {}): Tracer {
  return createOtelTracerOn(options, browser)
}
