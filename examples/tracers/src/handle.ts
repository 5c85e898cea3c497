import type { Tracer } from 'opentracing'

/** A tracer built for one service, and how to let the process exit without losing spans. */
export interface TracerHandle {
  /** The OpenTracing tracer to pass to initGlobalTracer() or as the `tracer` option. */
  tracer: Tracer
  /** Which vendor module built it (`otel`, `otlp`, `jaeger`, `recording`). */
  kind: string
  /** Sends what is buffered, and stops the tracer's timers and sockets. */
  close(): Promise<void>
}
