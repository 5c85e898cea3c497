// The workout demo: three services on loopback (workout-api → storage, workout-api →
// run-controller → storage), a few POST /workouts, and for each trace a waterfall, the slowest
// hop and the critical path. `--fix` (or FIX_SLOW_STEP=1) runs it again with the slow step fixed
// and shows the difference. `--browser` serves a page whose button calls workout-api, and prints
// each click's trace from the page's span on. TRACER picks the tracer: otel (default: the OTel SDK
// through @tracehop/otel, in memory), otelshim (the same through OTel's OpenTracing shim),
// recording, or otlp / jaeger / … to send the traces to a real backend instead of printing them.
import { InMemorySpanExporter } from '@opentelemetry/sdk-trace-base'
import { traceHeaders } from '@tracehop/core'
import { inMemoryOtelTracer, tracerFromEnv, type TracerHandle } from '@tracehop/example-tracers'
import { RecordingTracer } from '@tracehop/testing'
import {
  fromOtel,
  fromRecording,
  reportTraces,
  type DemoSpan,
  type TraceReport,
} from './analysis.js'
import { startPageServer } from './page-server.js'
import { runControllerApp } from './run-controller.js'
import { startFastify, type RunningService } from './service.js'
import { startStorage } from './storage.js'
import { startWorkoutApi } from './workout-api.js'

const HOST = '127.0.0.1'
const kind = process.env.TRACER || 'otel'
if (kind === 'none') {
  console.error('TRACER=none traces nothing: the demo would have no trace to show.')
  process.exit(1)
}
const compare = process.argv.includes('--fix') || process.env.FIX_SLOW_STEP === '1'
const inBrowser = process.argv.includes('--browser')
// The OTel SDK's spans, through the bridge or the shim, all services' in one exporter, which
// collect() reads and resets.
const onOtel = kind === 'otel' || kind === 'otelshim'
const exporter = new InMemorySpanExporter()
const handles: Array<[string, TracerHandle]> = []
const tracerFor = (service: string): TracerHandle => {
  const handle = onOtel
    ? inMemoryOtelTracer(service, exporter, kind === 'otel' ? 'bridge' : 'shim')
    : tracerFromEnv(service)
  handles.push([service, handle])
  return handle
}

// The page traces with OpenTelemetry's web SDK, which sends W3C trace context: a service tracer
// that reads none (TRACER=jaeger's uber-trace-id) would break its trace, and its CORS policy, which
// allows the headers the tracer reads, would refuse the page's call outright.
const apiTracer = tracerFor('workout-api').tracer
if (inBrowser && !traceHeaders({ tracer: apiTracer }).includes('traceparent')) {
  console.error(
    `TRACER=${kind} reads no W3C traceparent, which the page sends: --browser needs a tracer ` +
      'that does (otel, the default; otelshim, otlp or recording).',
  )
  process.exit(1)
}

const services: RunningService[] = []
const storage = await startStorage(tracerFor('storage').tracer, 0, HOST)
services.push(storage)
const runOptions = { storageUrl: storage.url, parallelWrites: false }
const runController = await startFastify(
  await runControllerApp(tracerFor('run-controller').tracer, runOptions),
  0,
  HOST,
)
services.push(runController)
// The page's spans arrive once its call is over: the services' spans of its trace are in by then.
const page = inBrowser
  ? await startPageServer(
      {
        apiUrl: () => api.url,
        onSpans: (pageSpans) =>
          setTimeout(() => reportTraces([...pageSpans, ...collect()]).forEach(printReport), 50),
      },
      0,
      HOST,
    )
  : undefined
if (page !== undefined) services.push(page)
const api = await startWorkoutApi(
  apiTracer,
  0,
  HOST,
  { STORAGE_URL: storage.url, RUN_CONTROLLER_URL: runController.url },
  page?.url,
)
services.push(api)

const workouts = [
  { name: 'easy run', intervals: [{ minutes: 30, pace: '6:00' }] },
  {
    name: 'intervals',
    intervals: Array.from({ length: 6 }, (_, i) => ({ minutes: 3, pace: i % 2 ? '6:30' : '4:30' })),
  },
]

async function round(label: string): Promise<TraceReport[]> {
  console.log(`\n=== ${label} ===`)
  for (const workout of workouts) {
    const response = await fetch(`${api.url}/workouts`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify(workout),
    })
    console.log(`POST /workouts "${workout.name}" → ${response.status} ${await response.text()}`)
  }
  const invalid = await fetch(`${api.url}/workouts`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ name: 'no intervals' }),
  })
  console.log(`POST /workouts (invalid) → ${invalid.status} ${await invalid.text()}`)
  // Server spans finish when their response has been written, just after the client read it.
  await new Promise((resolve) => setTimeout(resolve, 50))
  const reports = reportTraces(collect())
  for (const report of reports) printReport(report)
  return reports
}

function collect(): DemoSpan[] {
  if (onOtel) {
    const spans = fromOtel(exporter.getFinishedSpans())
    exporter.reset()
    return spans
  }
  return handles.flatMap(([service, { tracer }]) => {
    if (!(tracer instanceof RecordingTracer)) return []
    const spans = fromRecording(service, tracer.finishedSpans())
    tracer.reset()
    return spans
  })
}

function printReport(report: TraceReport): void {
  console.log(`\ntrace ${report.traceId}: ${report.total.toFixed(1)} ms`)
  console.log(report.waterfall)
  if (report.slowest !== undefined) {
    const { span, duration, share } = report.slowest
    console.log(
      `slowest span: ${span.service} ${span.operationName} (${duration.toFixed(1)} ms, ${Math.round(share * 100)}% of the request)`,
    )
  }
  if (report.sequential !== undefined) {
    const { name, count, duration } = report.sequential
    console.log(
      `  it makes ${count} calls ${name} one after another (${duration.toFixed(1)} ms in all): they could run in parallel`,
    )
  }
  console.log(
    `critical path: ${report.path.map((span) => `${span.service} ${span.operationName}`).join(' → ')}`,
  )
}

const longest = (reports: TraceReport[]) => Math.max(...reports.map((report) => report.total))
try {
  if (page !== undefined) {
    console.log(
      `open ${page.url} in a browser and press "Plan a run": each click's trace is printed here, ` +
        'from the page on (Ctrl+C stops the demo)',
    )
    await new Promise((resolve) => process.once('SIGINT', resolve).once('SIGTERM', resolve))
  } else if (!onOtel && kind !== 'recording') {
    await round(`sending traces with TRACER=${kind}`)
    console.log(
      '\nThe traces went to your backend: look for service workout-api, operation POST /workouts.',
    )
  } else {
    const slow = await round('as written: run-controller stores segments one after another')
    if (compare) {
      runOptions.parallelWrites = true
      const fixed = await round('fixed: run-controller stores segments in parallel')
      console.log(
        `\nslowest request: ${longest(slow).toFixed(1)} ms as written, ${longest(fixed).toFixed(1)} ms fixed (${(longest(slow) / longest(fixed)).toFixed(1)}x faster)`,
      )
    } else {
      console.log('\nRun `npm run demo -- --fix` to store the segments in parallel and compare.')
    }
  }
} finally {
  for (const service of services.reverse()) await service.stop()
  for (const [, handle] of handles) await handle.close()
}
