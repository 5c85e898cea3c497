// Choose your tracer from the environment: TRACER=otel (default) | otlp | zipkin | otelshim |
// jaeger | lightstep | datadog | recording.
// Swapping vendors is this one choice at start-up; application code never changes.
import { RecordingTracer } from '@tracehop/testing'
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
  closeGracefully,
  shutdownOnSignal,
  type ShutdownOptions,
} from './shutdown.js'

/** The tracer kinds tracerFromEnv() knows. */
export const TRACER_KINDS = [
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
 * Builds the tracer `TRACER` names for `serviceName` (default `otel`: the OTel SDK through
 * @tracehop/otel, in memory).
 */
export function tracerFromEnv(
  serviceName: string,
  env: NodeJS.ProcessEnv = process.env,
): TracerHandle {
  const kind = env.TRACER ?? 'otel'
  switch (kind) {
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
