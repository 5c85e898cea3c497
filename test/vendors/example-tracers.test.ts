// examples/tracers: each vendor module builds its tracer from that vendor's own environment
// variables, and its spans reach a backend on loopback.
import assert from 'node:assert/strict'
import { execFile } from 'node:child_process'
import { describe, it } from 'node:test'
import { fileURLToPath } from 'node:url'
import { promisify } from 'node:util'
import { tracerFromEnv } from '@tracehop/example-tracers'
import { RecordingTracer } from '@tracehop/testing'
import { decodeMsgpack } from '../support/msgpack.js'
import { bodiesAt, startCollector, waitFor } from '../support/net.js'
import { decodeOtlp } from '../support/otlp.js'
import { decodeBatch, startUdpAgent, thrift } from './support/jaeger-backend.js'

async function recordOne(env: NodeJS.ProcessEnv): Promise<void> {
  const handle = tracerFromEnv('example-service', env)
  handle.tracer.startSpan('GET /from-env', { tags: { 'span.kind': 'server' } }).finish()
  await handle.close()
}

describe('examples/tracers: one module per vendor, configured from the environment', () => {
  it('otlp: OTEL_EXPORTER_OTLP_ENDPOINT', async () => {
    const receiver = await startCollector()
    try {
      await recordOne({ TRACER: 'otlp', OTEL_EXPORTER_OTLP_ENDPOINT: receiver.url })
      const spans = bodiesAt(receiver.requests, '/v1/traces').flatMap(decodeOtlp)
      assert.deepEqual(
        spans.map((span) => [span.service, span.name]),
        [['example-service', 'GET /from-env']],
      )
    } finally {
      await receiver.close()
    }
  })

  it('jaeger: JAEGER_ENDPOINT (HTTP collector)', async () => {
    const collector = await startCollector()
    try {
      await recordOne({ TRACER: 'jaeger', JAEGER_ENDPOINT: `${collector.url}/api/traces` })
      const model = thrift('jaeger-idl/thrift/jaeger.thrift')
      const spans = collector.requests.flatMap(({ body }) =>
        decodeBatch(model.Batch.rw.readFrom(body, 0).value),
      )
      assert.deepEqual(
        spans.map((span) => [span.service, span.name]),
        [['example-service', 'GET /from-env']],
      )
    } finally {
      await collector.close()
    }
  })

  it('jaeger: JAEGER_AGENT_HOST and JAEGER_AGENT_PORT (UDP agent)', async () => {
    const agent = await startUdpAgent()
    try {
      await recordOne({
        TRACER: 'jaeger',
        JAEGER_AGENT_HOST: '127.0.0.1',
        JAEGER_AGENT_PORT: String(agent.port),
      })
      await waitFor(() => agent.spans.length === 1, 'the span')
      assert.equal(agent.spans[0]?.service, 'example-service')
    } finally {
      agent.close()
    }
  })

  it('lightstep: LS_ACCESS_TOKEN and LS_COLLECTOR_*', async () => {
    const collector = await startCollector()
    try {
      await recordOne({
        TRACER: 'lightstep',
        LS_ACCESS_TOKEN: 'example-token',
        LS_COLLECTOR_HOST: '127.0.0.1',
        LS_COLLECTOR_PORT: String(collector.port),
        LS_COLLECTOR_ENCRYPTION: 'none',
      })
      const reports = bodiesAt(collector.requests, '/api/v0/reports').map(
        (body) =>
          JSON.parse(body) as {
            runtime: { group_name: string }
            span_records?: Array<{ span_name: string }> | null
          },
      )
      const names = reports.flatMap((report) =>
        (report.span_records ?? []).map((span) => [report.runtime.group_name, span.span_name]),
      )
      assert.deepEqual(names, [['example-service', 'GET /from-env']])
    } finally {
      await collector.close()
    }
  })

  it('datadog: DD_TRACE_AGENT_URL (in a process of its own: dd-trace is a singleton)', async () => {
    const agent = await startCollector()
    try {
      const child = fileURLToPath(new URL('./children/datadog-example.ts', import.meta.url))
      await promisify(execFile)(process.execPath, ['--import', 'tsx', child], {
        timeout: 30_000,
        env: {
          ...process.env,
          TRACER: 'datadog',
          DD_TRACE_AGENT_URL: agent.url,
          DD_TRACE_TELEMETRY_ENABLED: 'false',
          DD_INSTRUMENTATION_TELEMETRY_ENABLED: 'false',
          DD_REMOTE_CONFIGURATION_ENABLED: 'false',
        },
      })
      const spans = agent.requests
        .filter(({ url }) => url === '/v0.4/traces')
        .flatMap(({ body }) =>
          (decodeMsgpack(body) as Array<Array<{ service: string; name: string }>>).flat(),
        )
      assert.deepEqual(
        spans.map((span) => [span.service, span.name]),
        [['example-dd-service', 'GET /from-env']],
      )
    } finally {
      await agent.close()
    }
  })

  it('zipkin: OTEL_EXPORTER_ZIPKIN_ENDPOINT (Zipkin v2 JSON)', async () => {
    const collector = await startCollector()
    try {
      const url = `${collector.url}/api/v2/spans`
      await recordOne({ TRACER: 'zipkin', OTEL_EXPORTER_ZIPKIN_ENDPOINT: url })
      const spans = bodiesAt(collector.requests, '/api/v2/spans').flatMap(
        (body) =>
          JSON.parse(body) as Array<{
            name: string
            kind?: string
            localEndpoint?: { serviceName?: string }
          }>,
      )
      assert.deepEqual(
        spans.map((span) => [span.localEndpoint?.serviceName, span.name, span.kind]),
        [['example-service', 'GET /from-env', 'SERVER']],
      )
    } finally {
      await collector.close()
    }
  })

  it('otel, otelshim and recording keep spans in memory; an unknown TRACER is a clear error', async () => {
    for (const kind of ['otel', 'otelshim']) {
      const handle = tracerFromEnv('svc', { TRACER: kind })
      assert.equal(handle.kind, kind)
      await handle.close()
    }
    assert.ok(tracerFromEnv('svc', { TRACER: 'recording' }).tracer instanceof RecordingTracer)
    assert.throws(() => tracerFromEnv('svc', { TRACER: 'nope' }), /TRACER=nope is not one of/)
  })
})
