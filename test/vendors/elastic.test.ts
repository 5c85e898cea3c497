// The Elastic APM OpenTracing bridge (elastic-apm-node-opentracing over agent 4): one
// `elastic-apm-traceparent` header, no baggage, one service per process, tags turned into
// labels and a transaction's status into its `result`. What its intake endpoint receives
// (ndjson, gzip) is decoded and checked.
import assert from 'node:assert/strict'
import { execFile } from 'node:child_process'
import { describe, it } from 'node:test'
import { fileURLToPath } from 'node:url'
import { promisify } from 'node:util'
import { startCollector } from '../support/net.js'
import { assertScenario, type VendorSpan } from './support/expectations.js'
import type { ScenarioResult } from './support/scenario.js'

interface ElasticEvent {
  id: string
  trace_id: string
  parent_id?: string
  name: string
  context?: { tags?: Record<string, unknown> }
  outcome?: string
  result?: string
  exception?: { message?: string }
}

// Elastic turns tag names into labels, dots into underscores.
const LABELS: Record<string, string> = {
  span_kind: 'span.kind',
  http_status_code: 'http.status_code',
  http_aborted: 'http.aborted',
  http_url: 'http.url',
  http_method: 'http.method',
  component: 'component',
  error: 'error',
}

// The bridge reports error logs through agent.captureError, attached to whatever the agent
// thinks is current, not to the span that logged them: they are checked apart.
function errorMessages(lines: Array<Record<string, ElasticEvent>>): string[] {
  return lines.flatMap((line) =>
    line.error?.exception?.message === undefined ? [] : [line.error.exception.message],
  )
}

function decodeIntake(lines: Array<Record<string, ElasticEvent>>): VendorSpan[] {
  const errors = new Map<string, string | undefined>()
  for (const line of lines) {
    if (line.error !== undefined)
      errors.set(line.error.parent_id ?? '', line.error.exception?.message)
  }
  return lines.flatMap((line) => {
    const event = line.transaction ?? line.span
    if (event === undefined) return []
    const tags: Record<string, unknown> = {}
    for (const [label, value] of Object.entries(event.context?.tags ?? {})) {
      const key = LABELS[label]
      // Label values arrive as strings.
      if (key !== undefined)
        tags[key] = key === 'http.status_code' ? Number(value) : value === 'true' ? true : value
    }
    // A transaction keeps the error flag as its result; a span as a label.
    tags.error =
      line.transaction === undefined
        ? tags.error === true || tags.error === 'true'
        : event.result === 'error'
    return [
      {
        traceId: event.trace_id,
        spanId: event.id,
        parentId: event.parent_id,
        name: event.name,
        service: 'tracehop-vendor',
        tags,
        errorMessage: undefined,
      },
    ]
  })
}

describe('vendor: the Elastic APM OpenTracing bridge', () => {
  it('should join every chain into one trace in what the APM server receives', async () => {
    // Agent 4 asks the server's version first (GET /), then posts its events.
    const server = await startCollector((url) =>
      url === '/' ? { status: 200, body: '{"version":"8.15.0"}' } : { status: 202, body: '' },
    )
    try {
      const child = fileURLToPath(new URL('./children/elastic.ts', import.meta.url))
      const { stdout } = await promisify(execFile)(process.execPath, ['--import', 'tsx', child], {
        timeout: 30_000,
        env: { ...process.env, ELASTIC_APM_SERVER_URL: server.url },
      })
      const result = JSON.parse(stdout) as ScenarioResult
      const lines = server.requests
        .filter(({ url }) => url.startsWith('/intake/v2/events'))
        .flatMap(({ body }) => body.toString('utf8').split('\n'))
        .filter((line) => line.trim() !== '')
        .map((line) => JSON.parse(line) as Record<string, ElasticEvent>)
      assertScenario(decodeIntake(lines), result, {
        baggage: false,
        serviceNames: false,
        serverStatus: false,
        errorLogsOnSpans: false,
      })
      const messages = errorMessages(lines)
      assert.ok(messages.includes('stock exploded'), messages.join())
      assert.ok(messages.includes('stock answered 500'), messages.join())
    } finally {
      await server.close()
    }
  })
})
