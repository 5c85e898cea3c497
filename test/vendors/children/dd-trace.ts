// Runs the vendor scenario under dd-trace in a process of its own (dd-trace is a process-wide
// singleton), reporting to the agent at DD_TRACE_AGENT_URL; prints the scenario result as JSON.
import { createRequire } from 'node:module'
import { Tracer, type SpanContext, type SpanOptions } from 'opentracing'
import { runScenario, type ServiceName } from '../support/scenario.js'

const require = createRequire(import.meta.url)
const dd = (require('dd-trace') as { init(options: object): Tracer }).init({
  plugins: false,
  flushInterval: 20,
  startupLogs: false,
  runtimeMetrics: false,
})

// dd-trace has one tracer per process: the service name of each hop goes on its spans.
class ServiceTracer extends Tracer {
  constructor(private readonly service: ServiceName) {
    super()
  }

  override startSpan(name: string, options: SpanOptions = {}) {
    return dd.startSpan(name, {
      ...options,
      tags: { ...options.tags, 'service.name': this.service },
    })
  }

  override inject(context: SpanContext, format: string, carrier: unknown): void {
    dd.inject(context, format, carrier)
  }

  override extract(format: string, carrier: unknown): SpanContext | null {
    return dd.extract(format, carrier)
  }
}

const tracers = new Map<ServiceName, Tracer>()
const result = await runScenario((service) => {
  const tracer = tracers.get(service) ?? new ServiceTracer(service)
  tracers.set(service, tracer)
  return tracer
})
// dd-trace 5 has no public flush: its exporter sends every flushInterval and at exit.
await new Promise((resolve) => setTimeout(resolve, 300))
process.stdout.write(JSON.stringify(result))
