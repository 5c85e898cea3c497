// The OpenTelemetry SDK behind the OpenTracing API: through @tracehop/otel (the default), or
// through @opentelemetry/shim-opentracing (for comparison). W3C `traceparent` and `baggage` on
// the wire, spans sent where the exporter says.
import {
  context,
  createContextKey,
  diag,
  propagation,
  ROOT_CONTEXT,
  type TextMapPropagator,
} from '@opentelemetry/api'
import { AsyncLocalStorageContextManager } from '@opentelemetry/context-async-hooks'
import {
  CompositePropagator,
  W3CBaggagePropagator,
  W3CTraceContextPropagator,
} from '@opentelemetry/core'
import { OTLPTraceExporter } from '@opentelemetry/exporter-trace-otlp-http'
import { ZipkinExporter } from '@opentelemetry/exporter-zipkin'
import { resourceFromAttributes } from '@opentelemetry/resources'
import {
  BasicTracerProvider,
  BatchSpanProcessor,
  InMemorySpanExporter,
  SimpleSpanProcessor,
  type BufferConfig,
  type SpanExporter,
  type SpanProcessor,
} from '@opentelemetry/sdk-trace-base'
import { TracerShim } from '@opentelemetry/shim-opentracing'
import { createOtelTracer } from '@tracehop/otel'
import type { TracerHandle } from './handle.js'
import { reportOtelLosses } from './loss-report.js'

/** How the OpenTracing API reaches the OTel SDK. */
export type OtelBridge = 'bridge' | 'shim'

/**
 * An OpenTracing tracer over the OTel SDK for `serviceName`, its spans handed to `processor`:
 * through @tracehop/otel (default), or the OpenTracing shim.
 */
export function otelTracer(
  serviceName: string,
  processor: SpanProcessor,
  kind = 'otel',
  via: OtelBridge = 'bridge',
): TracerHandle {
  // One provider per service, so that services sharing a process keep their own service.name.
  const provider = new BasicTracerProvider({
    resource: resourceFromAttributes({ 'service.name': serviceName }),
    spanProcessors: [processor],
  })
  const close = () => provider.shutdown()
  if (via === 'bridge') {
    registerOtelContext()
    return { tracer: createOtelTracer({ tracerProvider: provider }), kind, close }
  }
  // Without explicit propagators the shim uses the global OTel propagator, a silent no-op unless
  // an SDK registered one: name them, so context always travels.
  const propagator = w3cPropagator()
  const tracer = new TracerShim(provider.getTracer('tracehop'), {
    textMapPropagator: propagator,
    httpHeadersPropagator: propagator,
  })
  return { tracer, kind, close }
}

function w3cPropagator(): TextMapPropagator {
  return new CompositePropagator({
    propagators: [new W3CTraceContextPropagator(), new W3CBaggagePropagator()],
  })
}

let registered = false

/**
 * What an OTel SDK set-up registers (NodeTracerProvider.register() does the same): the
 * AsyncLocalStorage context manager, which @tracehop/otel shares with OTel's instrumentations,
 * and the W3C propagators. Once per process; a context manager or propagator the application
 * registered first is kept.
 */
export function registerOtelContext(): void {
  if (registered) return
  registered = true
  const probe = createContextKey('context manager probe')
  const hasManager = context.with(ROOT_CONTEXT.setValue(probe, true), () =>
    context.active().getValue(probe),
  )
  if (hasManager !== true) {
    context.setGlobalContextManager(new AsyncLocalStorageContextManager().enable())
  }
  if (propagation.fields().length === 0) propagation.setGlobalPropagator(w3cPropagator())
}

/**
 * The OTel SDK keeping spans in memory: every one, until `exporter.reset()`. For code that reads
 * them (`exporter.getFinishedSpans()`) and resets the exporter, as the demo and the tests do; a
 * service nobody reads grows with every request.
 */
export function inMemoryOtelTracer(
  serviceName: string,
  exporter = new InMemorySpanExporter(),
  via: OtelBridge = 'bridge',
): TracerHandle & { exporter: InMemorySpanExporter } {
  // Simple, not batched: the demo and the tests read a span as soon as its request ends, and an
  // in-memory export can neither fail nor pile up requests.
  const processor = new SimpleSpanProcessor(exporter)
  const kind = via === 'bridge' ? 'otel' : 'otelshim'
  return { ...otelTracer(serviceName, processor, kind, via), exporter }
}

/** The OTEL_BSP_* variable for each BatchSpanProcessor setting, and this module's default. */
const BATCH_SETTINGS = {
  maxQueueSize: ['OTEL_BSP_MAX_QUEUE_SIZE', 2048],
  maxExportBatchSize: ['OTEL_BSP_MAX_EXPORT_BATCH_SIZE', 512],
  scheduledDelayMillis: ['OTEL_BSP_SCHEDULE_DELAY', 1000],
  exportTimeoutMillis: ['OTEL_BSP_EXPORT_TIMEOUT', 10_000],
} as const

/**
 * The batch settings from the standard OTEL_BSP_* variables of `env`. The defaults are the
 * specification's, but for a 1 s delay (spans show up in the backend while one looks) and a 10 s
 * export timeout (a shutdown's last flush ends well within Kubernetes' 30 s grace period).
 */
export function batchConfig(env: NodeJS.ProcessEnv = process.env): Required<BufferConfig> {
  const config = {} as Record<keyof typeof BATCH_SETTINGS, number>
  for (const [key, [name, fallback]] of Object.entries(BATCH_SETTINGS)) {
    const raw = env[name]
    const value = Number(raw)
    const valid = raw !== undefined && Number.isInteger(value) && value > 0
    if (raw !== undefined && !valid) {
      diag.warn(`${name}=${raw} is not a positive integer: using ${fallback}`)
    }
    config[key as keyof typeof BATCH_SETTINGS] = valid ? value : fallback
  }
  return config
}

/**
 * A BatchSpanProcessor for `exporter`, sized from OTEL_BSP_*: spans are queued (up to the
 * queue size; past it they are dropped and reported) and sent in batches, one request at a
 * time. A span-per-request processor sends as many concurrent requests as spans end, and the
 * OTLP exporter refuses those past its concurrency limit: under load, spans were lost.
 */
export function batchProcessor(
  exporter: SpanExporter,
  env: NodeJS.ProcessEnv = process.env,
): BatchSpanProcessor {
  reportOtelLosses()
  return new BatchSpanProcessor(exporter, batchConfig(env))
}

/**
 * The OTel SDK exporting OTLP/HTTP (JSON) to `OTEL_EXPORTER_OTLP_TRACES_ENDPOINT`, else
 * `OTEL_EXPORTER_OTLP_ENDPOINT` + `/v1/traces` (default `http://localhost:4318`), in batches
 * (`OTEL_BSP_*`): Jaeger v2 and most backends take it. Lost spans are reported on stderr.
 */
export function otlpTracer(
  serviceName: string,
  env: NodeJS.ProcessEnv = process.env,
): TracerHandle {
  const base = env.OTEL_EXPORTER_OTLP_ENDPOINT ?? 'http://localhost:4318'
  const url = env.OTEL_EXPORTER_OTLP_TRACES_ENDPOINT ?? `${base.replace(/\/+$/, '')}/v1/traces`
  return otelTracer(serviceName, batchProcessor(new OTLPTraceExporter({ url }), env), 'otlp')
}

/**
 * The OTel SDK exporting Zipkin v2 JSON to `OTEL_EXPORTER_ZIPKIN_ENDPOINT` (default
 * `http://localhost:9411/api/v2/spans`), in batches: for Zipkin, and for backends that take
 * Zipkin's format (Wavefront's proxy, SkyWalking's receiver, …).
 */
export function zipkinTracer(
  serviceName: string,
  env: NodeJS.ProcessEnv = process.env,
): TracerHandle {
  const url = env.OTEL_EXPORTER_ZIPKIN_ENDPOINT ?? 'http://localhost:9411/api/v2/spans'
  const exporter = new ZipkinExporter({ url, serviceName })
  return otelTracer(serviceName, batchProcessor(exporter, env), 'zipkin')
}
