// Choose your tracer from the environment: TRACER=none (default) | otlp | zipkin | jaeger |
// lightstep | datadog, or one that keeps spans in memory for a demo or a test to read: otel |
// otelshim | recording.
// Swapping vendors is this one choice at start-up; application code never changes.
import { RecordingTracer } from '@tracehop/testing'
import { Tracer } from 'opentracing'
import { datadogTracer } from './datadog.js'
import type { TracerHandle } from './handle.js'
import { jaegerTracer } from './jaeger.js'
import { lightstepTracer } from './lightstep.js'
import { inMemoryOtelTracer, otlpTracer, zipkinTracer } from './otel.js'

export type { TracerHandle } from './handle.js'
export { datadogTracer } from './datadog.js'
export { jaegerTracer } from './jaeger.js'
export { lightstepTracer } from './lightstep.js'
export { lossReporter, reportOtelLosses } from './loss-report.js'
export {
  batchConfig,
  batchProcessor,
  inMemoryOtelTracer,
  otelTracer,
  otlpTracer,
  registerOtelContext,
  zipkinTracer,
  type OtelBridge,
} from './otel.js'
export {
  DRAIN_TIMEOUT_MS,
  FLUSH_TIMEOUT_MS,
  IDLE_CLOSE_MS,
  closeGracefully,
  shutdownOnSignal,
  type ShutdownOptions,
} from './shutdown.js'

/** The tracer kinds tracerFromEnv() knows. */
export const TRACER_KINDS = [
  'none',
  'otel',
  'otlp',
  'zipkin',
  'otelshim',
  'jaeger',
  'lightstep',
  'datadog',
  'recording',
] as const

/**
 * The kinds that keep every finished span in memory until read (and reset) by the code that made
 * them, as the demo and the tests do: a service left running with one grows with every request.
 */
export const IN_MEMORY_KINDS: readonly string[] = ['otel', 'otelshim', 'recording']

/**
 * Builds the tracer `TRACER` names for `serviceName`. Unset (or empty), `none`: opentracing's
 * no-op tracer, which records, keeps and sends nothing. Name a backend (`otlp`, `jaeger`, …) to
 * see the traces; the kinds of IN_MEMORY_KINDS are for code that reads their spans.
 */
export function tracerFromEnv(
  serviceName: string,
  env: NodeJS.ProcessEnv = process.env,
): TracerHandle {
  const kind = env.TRACER || 'none'
  switch (kind) {
    case 'none':
      return { tracer: new Tracer(), kind, close: () => Promise.resolve() }
    case 'otel':
      return inMemoryOtelTracer(serviceName)
    case 'otlp':
      return otlpTracer(serviceName, env)
    case 'zipkin':
      return zipkinTracer(serviceName, env)
    case 'otelshim':
      return inMemoryOtelTracer(serviceName, undefined, 'shim')
    case 'jaeger':
      return jaegerTracer(serviceName, env)
    case 'lightstep':
      return lightstepTracer(serviceName, env)
    case 'datadog':
      return datadogTracer(serviceName)
    case 'recording':
      return { tracer: new RecordingTracer(), kind, close: () => Promise.resolve() }
    default:
      throw new Error(`TRACER=${kind} is not one of ${TRACER_KINDS.join(', ')}`)
  }
}
