// dd-trace through its OpenTracing API, integrations off (tracehop does the HTTP tracing). It
// reads the variables Datadog documents itself: DD_TRACE_AGENT_URL (or DD_AGENT_HOST and
// DD_TRACE_AGENT_PORT), DD_ENV, DD_VERSION. It is a process-wide singleton: one service per
// process, which is how Datadog expects services to run.
import { createRequire } from 'node:module'
import type { Tracer } from 'opentracing'
import type { TracerHandle } from './handle.js'

const require = createRequire(import.meta.url)
const FLUSH_INTERVAL_MS = 200

/** dd-trace initialised for `serviceName` (the first call wins: dd-trace is a singleton). */
export function datadogTracer(serviceName: string): TracerHandle {
  const dd = require('dd-trace') as { init(options: object): Tracer }
  const tracer = dd.init({
    service: serviceName,
    plugins: false,
    flushInterval: FLUSH_INTERVAL_MS,
    startupLogs: false,
  })
  return {
    tracer,
    kind: 'datadog',
    // dd-trace 5 has no public flush: it sends every flush interval and when the process exits.
    close: () => new Promise<void>((resolve) => setTimeout(resolve, FLUSH_INTERVAL_MS * 2)),
  }
}
