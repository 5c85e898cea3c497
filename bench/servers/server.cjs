'use strict'
// One benchmark server, run as a child process: the variant comes in BENCH_VARIANT (JSON), the
// parent drives it over IPC: 'start' and 'stop' bracket the measured load with process.cpuUsage(),
// 'gc' reports the heap after a full collection (needs --expose-gc).
// BENCH_REPORT_MAJOR_GC=1 sends 'major-gc' after each major GC.
const spec = JSON.parse(process.env.BENCH_VARIANT)
const udpPort = Number(process.env.BENCH_UDP_PORT)

// The runner's children end with it, even when it dies before it can stop them.
process.once('disconnect', () => process.exit(0))

// OpenTelemetry auto-instrumentation patches modules as they load: set it up before anything.
function setUpOtel() {
  const sdk = require('./otel.cjs')
  const { otelAutoInstrumentation } = sdk
  if (spec.integration === 'otel-auto') {
    const { HttpInstrumentation } = require('@opentelemetry/instrumentation-http')
    const { ExpressInstrumentation } = require('@opentelemetry/instrumentation-express')
    return otelAutoInstrumentation([new HttpInstrumentation(), new ExpressInstrumentation()])
  }
  if (spec.integration === 'fastify-otel') {
    const { FastifyOtelInstrumentation } = require('@fastify/otel')
    const instrumentation = new FastifyOtelInstrumentation()
    // withHttp: beside the HTTP instrumentation, as @fastify/otel's README asks (its request span
    // then becomes INTERNAL under the HTTP server span: 3 spans per request).
    const http = spec.withHttp
      ? [new (require('@opentelemetry/instrumentation-http').HttpInstrumentation)()]
      : []
    const otel = otelAutoInstrumentation([...http, instrumentation])
    return { ...otel, fastifyPlugin: () => instrumentation.plugin() }
  }
  if (spec.integration === 'otel-floor') {
    const provider = sdk.registeredProvider()
    return { provider, spanCount: () => sdk.otelSpanCount(provider) }
  }
  if (spec.clientTracing === 'otel' && spec.client === 'axios') {
    const { HttpInstrumentation } = require('@opentelemetry/instrumentation-http')
    // The client side only: the server side is what the bare variant measures.
    return otelAutoInstrumentation([
      new HttpInstrumentation({ disableIncomingRequestInstrumentation: true }),
    ])
  }
  if (spec.clientTracing === 'otel' && spec.client === 'fetch') {
    const { UndiciInstrumentation } = require('@opentelemetry/instrumentation-undici')
    return otelAutoInstrumentation([new UndiciInstrumentation()])
  }
  return undefined
}

async function main() {
  const otel = setUpOtel()
  const { createTracer } = require('./tracers.cjs')
  const traced = spec.tracer === undefined ? undefined : createTracer(spec.tracer, { udpPort })
  const { buildApp } = require('./apps.cjs')
  const app = await buildApp(spec, traced?.tracer, otel)
  const port = await app.listen()
  const spanCount = async () => (await (otel ?? traced)?.spanCount()) ?? null
  let startCpu = process.cpuUsage()
  let startSpans = 0
  process.on('message', async (message) => {
    if (message.type === 'start') {
      startSpans = await spanCount()
      startCpu = process.cpuUsage()
      process.send({ type: 'started' })
    } else if (message.type === 'stop') {
      const cpu = process.cpuUsage(startCpu)
      const rss = process.memoryUsage.rss()
      const spans = await spanCount()
      process.send({
        type: 'stopped',
        cpuUs: cpu.user + cpu.system,
        userUs: cpu.user,
        rss,
        spans: spans === null ? null : spans - startSpans,
      })
    } else if (message.type === 'exit') {
      // A normal exit, so --cpu-prof writes its profile.
      process.exit(0)
    } else if (message.type === 'gc') {
      globalThis.gc()
      globalThis.gc()
      process.send({ type: 'heap', heapUsed: process.memoryUsage().heapUsed })
    }
  })
  if (process.env.BENCH_REPORT_MAJOR_GC === '1') reportMajorGcs()
  process.send({ type: 'ready', port })
}

// For bench/instructions.mjs, which counts whole major GC cycles: 'major-gc' after each one.
function reportMajorGcs() {
  const { PerformanceObserver, constants } = require('node:perf_hooks')
  new PerformanceObserver((list) => {
    for (const entry of list.getEntries()) {
      if (entry.detail?.kind === constants.NODE_PERFORMANCE_GC_MAJOR) {
        process.send({ type: 'major-gc' })
      }
    }
  }).observe({ entryTypes: ['gc'] })
}

main().catch((error) => {
  console.error(error)
  process.exit(1)
})
