// @tracehop/otel beside OpenTelemetry's HTTP and undici instrumentations, in one process (see
// children/otel-instrumented.ts): every downstream call carries exactly one traceparent, the trace
// is one tree (the HTTP instrumentation's server span, tracehop's request span under it, the
// instrumentations' client spans under that), tracehop makes no second client span, and with
// trustIncoming: false tracehop's span and everything below it start a new trace anyway; a request
// that comes with no trace context is one tree whatever trustIncoming says.
import assert from 'node:assert/strict'
import { execFile } from 'node:child_process'
import { describe, it } from 'node:test'
import { fileURLToPath } from 'node:url'
import { promisify } from 'node:util'
import { SpanKind } from '@opentelemetry/api'

interface Outcome {
  status: string
  spans: Array<{
    name: string
    kind: SpanKind
    scope: string
    traceId: string
    spanId: string
    parentId?: string
  }>
  received: Array<{ path: string; traceparents: string[] }>
}

const CALLER_TRACE = '0af7651916cd43dd8448eb211c80319c'
const CALLER_SPAN = 'b7ad6b7169203331'
const child = fileURLToPath(new URL('./children/otel-instrumented.ts', import.meta.url))

async function serveOne(
  trustIncoming: boolean,
  fromCaller = true,
  dropEdge = false,
): Promise<Outcome> {
  const { stdout } = await promisify(execFile)(process.execPath, ['--import', 'tsx', child], {
    timeout: 60_000,
    env: {
      ...process.env,
      TRACEPARENT: fromCaller ? `00-${CALLER_TRACE}-${CALLER_SPAN}-01` : '',
      TRUST_INCOMING: String(trustIncoming),
      DROP_EDGE: String(dropEdge),
    },
  })
  return JSON.parse(stdout) as Outcome
}

describe('@tracehop/otel with the OTel HTTP and undici instrumentations enabled', () => {
  it('should send one traceparent per call and build one tree with no duplicate client span', async () => {
    const { status, spans, received } = await serveOne(true)
    assert.equal(status, '200')
    const byId = new Map(spans.map((span) => [span.spanId, span]))
    const request = spans.find((span) => span.scope === '@tracehop/express')
    assert.ok(request, 'the request span')
    assert.equal(request.name, 'GET /orders/:id')
    const edge = byId.get(request.parentId ?? '')
    assert.equal(edge?.scope, '@opentelemetry/instrumentation-http')
    assert.equal(edge.kind, SpanKind.SERVER)
    assert.equal(edge.parentId, CALLER_SPAN)
    assert.ok(spans.every((span) => span.traceId === CALLER_TRACE))
    assert.equal(
      spans.filter((span) => span.scope === '@tracehop/axios' || span.scope === '@tracehop/fetch')
        .length,
      0,
      'tracehop leaves the calls to the instrumentations',
    )
    for (const [path, scope] of [
      ['/axios', '@opentelemetry/instrumentation-http'],
      ['/fetch', '@opentelemetry/instrumentation-undici'],
      ['/fetch-bound', '@opentelemetry/instrumentation-undici'],
    ] as const) {
      const call = received.find((entry) => entry.path === path)
      assert.equal(call?.traceparents.length, 1, `${path}: ${call?.traceparents.join(' | ')}`)
      const sender = byId.get(call.traceparents[0]?.split('-')[2] ?? '')
      assert.equal(sender?.scope, scope)
      assert.equal(sender.kind, SpanKind.CLIENT)
      assert.equal(sender.parentId, request.spanId, `${path}: the call is a child of the request`)
    }
  })

  it('should keep the trust boundary though the HTTP instrumentation continued the caller', async () => {
    const { status, spans, received } = await serveOne(false)
    assert.equal(status, '200')
    const request = spans.find((span) => span.scope === '@tracehop/express')
    assert.ok(request)
    assert.notEqual(request.traceId, CALLER_TRACE)
    assert.equal(request.parentId, undefined)
    for (const call of received) {
      assert.equal(call.traceparents.length, 1)
      assert.equal(call.traceparents[0]?.split('-')[1], request.traceId, call.path)
    }
  })
  for (const trustIncoming of [true, false]) {
    it(`should build one tree for a request with no caller trace (trustIncoming: ${trustIncoming})`, async () => {
      const { status, spans, received } = await serveOne(trustIncoming, false)
      assert.equal(status, '200')
      const byId = new Map(spans.map((span) => [span.spanId, span]))
      const request = spans.find((span) => span.scope === '@tracehop/express')
      assert.ok(request, 'the request span')
      const edge = byId.get(request.parentId ?? '')
      assert.equal(edge?.scope, '@opentelemetry/instrumentation-http', 'under the edge span')
      assert.equal(edge.kind, SpanKind.SERVER)
      assert.equal(edge.parentId, undefined, 'the edge span is the root')
      assert.ok(
        spans.every((span) => span.traceId === request.traceId),
        'one trace',
      )
      for (const call of received) {
        assert.equal(call.traceparents.length, 1)
        assert.equal(call.traceparents[0]?.split('-')[1], request.traceId, call.path)
      }
    })
  }

  it("should hold the HTTP instrumentation's decision to sample a request out", async () => {
    const { status, spans, received } = await serveOne(true, false, true)
    assert.equal(status, '200')
    assert.deepEqual(spans, [], 'nothing of the request is recorded')
    const traces = new Set(received.map((call) => call.traceparents[0]?.split('-')[1]))
    assert.equal(traces.size, 1, 'every call in the trace the edge started')
    for (const call of received) {
      assert.equal(call.traceparents.length, 1)
      assert.match(call.traceparents[0] ?? '', /-00$/, `${call.path}: sampled out`)
    }
  })
})
