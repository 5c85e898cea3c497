// dd-trace 5 (the last major that runs on Node 20), integrations off, in its own process: what
// its agent endpoint receives (MessagePack `/v0.4/traces`) is decoded and checked.
import { execFile } from 'node:child_process'
import { describe, it } from 'node:test'
import { fileURLToPath } from 'node:url'
import { promisify } from 'node:util'
import { decodeMsgpack } from '../support/msgpack.js'
import { startCollector } from '../support/net.js'
import { assertScenario, type VendorSpan } from './support/expectations.js'
import type { ScenarioResult } from './support/scenario.js'

interface DdSpan {
  trace_id: bigint | number
  span_id: bigint | number
  parent_id: bigint | number
  name: string
  service: string
  error: number
  meta: Record<string, string>
  metrics: Record<string, number>
}

const hex = (id: bigint | number) => BigInt(id).toString(16)

function decodeTraces(body: Buffer): VendorSpan[] {
  const traces = decodeMsgpack(body) as DdSpan[][]
  return traces.flat().map((span) => {
    const tags: Record<string, unknown> = { ...span.metrics, ...span.meta }
    if (typeof tags['http.status_code'] === 'string')
      tags['http.status_code'] = Number(tags['http.status_code'])
    // dd-trace keeps booleans as numbers (metrics) or strings (meta).
    if (tags['http.aborted'] === 1 || tags['http.aborted'] === 'true') tags['http.aborted'] = true
    tags.error = span.error === 1
    return {
      traceId: hex(span.trace_id),
      spanId: hex(span.span_id),
      parentId: BigInt(span.parent_id) === 0n ? undefined : hex(span.parent_id),
      name: span.name,
      service: span.service,
      tags,
      errorMessage: span.meta['error.message'] ?? span.meta['error.msg'],
    }
  })
}

describe('vendor: dd-trace', () => {
  it('should join every chain into one trace in what the agent receives', async () => {
    const agent = await startCollector(() => ({ status: 200, body: '{"rate_by_service":{}}' }))
    try {
      const child = fileURLToPath(new URL('./children/dd-trace.ts', import.meta.url))
      const { stdout } = await promisify(execFile)(process.execPath, ['--import', 'tsx', child], {
        timeout: 30_000,
        env: {
          ...process.env,
          DD_TRACE_AGENT_URL: agent.url,
          DD_TRACE_TELEMETRY_ENABLED: 'false',
          DD_INSTRUMENTATION_TELEMETRY_ENABLED: 'false',
          DD_REMOTE_CONFIGURATION_ENABLED: 'false',
          DD_TRACE_STARTUP_LOGS: 'false',
          DD_ENV: 'test',
        },
      })
      const result = JSON.parse(stdout) as ScenarioResult
      const spans = agent.requests
        .filter(({ url }) => url === '/v0.4/traces')
        .flatMap(({ body }) => decodeTraces(body))
      assertScenario(spans, result, { baggage: true })
    } finally {
      await agent.close()
    }
  })
})
