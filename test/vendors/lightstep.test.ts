// lightstep-tracer: `ot-tracer-*` and `ot-baggage-*` headers; its reports (the JSON transport,
// gzip) reach a collector on loopback and are decoded.
import { describe, it } from 'node:test'
import { createRequire } from 'node:module'
import type { Tracer } from 'opentracing'
import { bodiesAt, startCollector } from '../support/net.js'
import { assertScenario, type VendorSpan } from './support/expectations.js'
import { runScenario, type ServiceName } from './support/scenario.js'

const require = createRequire(import.meta.url)
const lightstep = require('lightstep-tracer') as {
  Tracer: new (options: object) => Tracer & { flush(done: () => void): void }
}

interface KeyValue {
  Key: string
  Value: string
}
interface Report {
  runtime: { group_name: string }
  span_records?: Array<{
    span_guid: string
    trace_guid: string
    span_name: string
    attributes?: KeyValue[] | null
    error_flag?: boolean
    log_records?: Array<{ fields?: KeyValue[] | null }> | null
  }> | null
}

// Lightstep reports every tag value as a string.
function typed(key: string, value: string): unknown {
  if (value === 'true' || value === 'false') return value === 'true'
  if (key === 'http.status_code' || key === 'peer.port') return Number(value)
  return value
}

function decodeReport(report: Report): VendorSpan[] {
  return (report.span_records ?? []).map((record) => {
    const tags = Object.fromEntries(
      (record.attributes ?? []).map(({ Key, Value }) => [Key, typed(Key, Value)]),
    )
    const errorLog = (record.log_records ?? [])
      .map((log) => Object.fromEntries((log.fields ?? []).map(({ Key, Value }) => [Key, Value])))
      .find((fields) => fields.event === 'error')
    const { parent_span_guid: parent, ...rest } = tags
    return {
      traceId: record.trace_guid,
      spanId: record.span_guid,
      parentId: typeof parent === 'string' ? parent : undefined,
      name: record.span_name,
      service: report.runtime.group_name,
      tags: rest,
      errorMessage: errorLog?.message,
    }
  })
}

describe('vendor: lightstep-tracer', () => {
  it('should join every chain into one trace in the reports a collector receives', async () => {
    const collector = await startCollector()
    const tracers = new Map<ServiceName, InstanceType<typeof lightstep.Tracer>>()
    try {
      const result = await runScenario((service) => {
        let tracer = tracers.get(service)
        if (tracer === undefined) {
          tracer = new lightstep.Tracer({
            access_token: 'test-token',
            component_name: service,
            collector_host: '127.0.0.1',
            collector_port: collector.port,
            collector_encryption: 'none',
            transport: 'thrift',
            verbosity: 0,
          })
          tracers.set(service, tracer)
        }
        return tracer
      })
      for (const tracer of tracers.values()) {
        await new Promise<void>((resolve) => tracer.flush(() => resolve()))
      }
      const spans = bodiesAt(collector.requests, '/api/v0/reports').flatMap((body) =>
        decodeReport(JSON.parse(body) as Report),
      )
      assertScenario(spans, result, { baggage: true })
    } finally {
      await collector.close()
    }
  })
})
