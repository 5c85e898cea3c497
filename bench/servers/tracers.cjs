'use strict'
// The OpenTracing tracers tracehop and express-opentracing are measured with. Each comes with a
// spanCount() so the report can show that the variant really traced.
const { Tracer } = require('opentracing')
const { otelBridgeTracer, otelShimTracer, registeredProvider } = require('./otel.cjs')

// RecordingTracer keeps every span; under load that is a leak by design, so the benchmark
// forgets them this often (counting them first) and memory stays flat.
const RECORDING_RESET_MS = 250

function recordingTracer() {
  const { RecordingTracer } = require('@tracehop/testing')
  const tracer = new RecordingTracer()
  let forgotten = 0
  const forget = () => {
    forgotten += tracer.finishedSpans().length
    tracer.reset()
  }
  setInterval(forget, RECORDING_RESET_MS).unref()
  return { tracer, spanCount: () => forgotten + tracer.finishedSpans().length }
}

// jaeger-client with its real UDP reporter, sending to a loopback sink that drops the packets.
function jaegerTracer(udpPort) {
  const { initTracer } = require('jaeger-client')
  const quiet = { info() {}, error() {} }
  const tracer = initTracer(
    {
      serviceName: 'tracehop-bench',
      sampler: { type: 'const', param: 1 },
      reporter: { agentHost: '127.0.0.1', agentPort: udpPort },
    },
    { logger: quiet },
  )
  return { tracer, spanCount: () => undefined }
}

/**
 * The tracer named `name`: 'noop', 'recording', 'jaeger', 'otelshim', 'otel' (@tracehop/otel) or
 * 'otel-unsampled' (the same, with every request sampled out), 'noop-otel-sdk' (the no-op tracer,
 * with the OTel SDK of 'otel-unsampled' registered beside it).
 */
function createTracer(name, { udpPort }) {
  switch (name) {
    case 'noop':
      return { tracer: new Tracer(), spanCount: () => 0 }
    case 'recording':
      return recordingTracer()
    case 'jaeger':
      return jaegerTracer(udpPort)
    case 'otelshim':
      return otelShimTracer()
    case 'otel':
      return otelBridgeTracer({ sampled: true })
    case 'otel-unsampled':
      return otelBridgeTracer({ sampled: false })
    case 'noop-otel-sdk':
      // What the SDK's presence alone costs: registered, every request would be sampled out, and
      // tracehop on the no-op tracer, so nothing reaches the SDK.
      registeredProvider({ sampled: false })
      return { tracer: new Tracer(), spanCount: () => 0 }
    default:
      throw new Error(`unknown tracer ${name}`)
  }
}

module.exports = { createTracer }
