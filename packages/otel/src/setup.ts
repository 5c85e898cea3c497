// What createOtelTracer() does on every platform: build the tracer, plug its context store into
// core when OTel has a context manager, and say once what is missing from the OTel set-up.
import { setContextStore, warn, type Transport } from '@tracehop/core/adapter'
import type { Tracer } from 'opentracing'
import { hasContextManager, hasPropagator, otelContextStore } from './store.js'
import { OpenTracingOnOtel, type OtelTracerOptions } from './tracer.js'

/** How one platform differs: who traces its transports, which provider it names. */
export interface Platform {
  tracesTransport: (transport: Transport) => boolean
  /** The provider whose `register()` installs a context manager there, named in the warning. */
  providerName: string
}

/** createOtelTracer() on `platform`. */
export function createOtelTracerOn(options: OtelTracerOptions, platform: Platform): Tracer {
  const tracer = new OpenTracingOnOtel(options)
  if (hasContextManager()) {
    setContextStore(otelContextStore(tracer, platform.tracesTransport))
  } else {
    warnOnce(
      'TRACEHOP_OTEL_NO_CONTEXT_MANAGER',
      'no OpenTelemetry context manager is registered: tracehop keeps its own active span, and ' +
        `OTel instrumentations will not see it (register one, e.g. with ${platform.providerName}.register())`,
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

// Shared by every copy of this package (its CommonJS and ESM builds): each warning is said once.
const WARNED = Symbol.for('tracehop.otel.warned')
const warned = ((globalThis as { [WARNED]?: Set<string> })[WARNED] ??= new Set<string>())

/** Writes a warning of tracehop's, once per process whichever copy says it. */
export function warnOnce(code: string, message: string): void {
  if (warned.has(code)) return
  warned.add(code)
  warn(code, `tracehop: ${message}`)
}
