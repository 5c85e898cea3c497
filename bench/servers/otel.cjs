'use strict'
// The OpenTelemetry SDK as the benchmarks use it: spans built and batched for real, then dropped
// by an exporter that sends nothing, so the figures are the SDK's and the instrumentation's own
// CPU cost, never a collector's. The exporter counts what it drops, to show spans per request.
const { ExportResultCode, W3CTraceContextPropagator } = require('@opentelemetry/core')
const { BatchSpanProcessor, BasicTracerProvider } = require('@opentelemetry/sdk-trace-base')

let exported = 0
const discardingExporter = {
  export(spans, done) {
    exported += spans.length
    done({ code: ExportResultCode.SUCCESS })
  },
  shutdown: () => Promise.resolve(),
  forceFlush: () => Promise.resolve(),
}

/** Spans the SDK finished so far (after a flush of the batch processor). */
async function otelSpanCount(provider) {
  await provider.forceFlush()
  return exported
}

/** An OpenTracing tracer backed by the OTel SDK through @opentelemetry/shim-opentracing. */
function otelShimTracer() {
  const { TracerShim } = require('@opentelemetry/shim-opentracing')
  const provider = new BasicTracerProvider({
    spanProcessors: [new BatchSpanProcessor(discardingExporter)],
  })
  const w3c = new W3CTraceContextPropagator()
  const tracer = new TracerShim(provider.getTracer('tracehop-bench'), {
    textMapPropagator: w3c,
    httpHeadersPropagator: w3c,
  })
  return { tracer, spanCount: () => otelSpanCount(provider) }
}

/**
 * The SDK registered globally (context manager, W3C propagator) as OTel auto-instrumentation
 * expects, with `instrumentations` enabled. Must run before the instrumented modules load.
 */
function otelAutoInstrumentation(instrumentations) {
  const { NodeTracerProvider } = require('@opentelemetry/sdk-trace-node')
  const { registerInstrumentations } = require('@opentelemetry/instrumentation')
  const provider = new NodeTracerProvider({
    spanProcessors: [new BatchSpanProcessor(discardingExporter)],
  })
  provider.register()
  registerInstrumentations({ instrumentations, tracerProvider: provider })
  return { provider, spanCount: () => otelSpanCount(provider) }
}

/**
 * The SDK registered globally (provider, context manager, W3C propagators) as an application sets
 * it up before anything traces; `sampled: false` samples out every request (ParentBased over
 * AlwaysOff), which the unsampled variants measure.
 */
function registeredProvider({ sampled = true } = {}) {
  const { NodeTracerProvider } = require('@opentelemetry/sdk-trace-node')
  const { AlwaysOffSampler, ParentBasedSampler } = require('@opentelemetry/sdk-trace-base')
  const provider = new NodeTracerProvider({
    spanProcessors: [new BatchSpanProcessor(discardingExporter)],
    ...(sampled ? {} : { sampler: new ParentBasedSampler({ root: new AlwaysOffSampler() }) }),
  })
  provider.register()
  return provider
}

/** An OpenTracing tracer backed by the OTel SDK through @tracehop/otel. */
function otelBridgeTracer(options) {
  const provider = registeredProvider(options)
  const tracer = require('@tracehop/otel').createOtelTracer()
  return { tracer, spanCount: () => otelSpanCount(provider) }
}

module.exports = {
  otelShimTracer,
  otelAutoInstrumentation,
  otelBridgeTracer,
  otelSpanCount,
  registeredProvider,
}
