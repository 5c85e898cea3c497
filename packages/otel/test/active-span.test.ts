// What tracehop takes from OTel's active context beyond the active span itself: OTel's
// suppressTracing(), a span OTel code removed from the context, the SERVER span of another request
// of the same trace, and an OTel span found active under several baggages.
import assert from 'node:assert/strict'
import { beforeEach, describe, it } from 'node:test'
import { context, createContextKey, propagation, SpanKind, trace } from '@opentelemetry/api'
import { suppressTracing } from '@opentelemetry/core'
import { activeSpan } from '@tracehop/core'
import { createClientTracing, createServerTracing } from '@tracehop/core/adapter'
import { createOtelTracer } from '../src/index.js'
import { sdk } from '../../../test/support/otel-sdk.js'

const tracer = createOtelTracer()
const server = createServerTracing('test', { tracer })
const client = createClientTracing('test', { tracer })
const otelTracer = trace.getTracer('app')

// @opentelemetry/core's RPC metadata key, where instrumentation-http keeps its SERVER span.
const RPC_METADATA = createContextKey('OpenTelemetry SDK Context Key RPC_METADATA')

// One outbound call, made where this runs; returns the headers it sent.
function callOut(): Record<string, string> {
  const call = client.start({ method: 'GET', url: 'http://next.test/' })
  call?.finish({ statusCode: 200 })
  return { ...call?.headers }
}

describe("what tracehop takes from OTel's active context", () => {
  beforeEach(() => sdk.reset())

  it('should record no span and send no context under suppressTracing()', () => {
    const outside = context.with(suppressTracing(context.active()), callOut)
    const handle = server.start({ method: 'GET', url: '/', headers: {} })
    const inside = handle?.run(() => context.with(suppressTracing(context.active()), callOut))
    handle?.finish({ statusCode: 200 })
    assert.deepEqual([outside.traceparent, inside?.traceparent], [undefined, undefined])
    assert.deepEqual(
      sdk.spans().map((span) => span.kind),
      [SpanKind.SERVER],
      'the request only',
    )
  })

  it('should have no active span once OTel code removed the request span from the context', () => {
    const handle = server.start({ method: 'GET', url: '/', headers: {} })
    const seen = handle?.run(() =>
      context.with(trace.deleteSpan(context.active()), () => ({
        otel: trace.getActiveSpan(),
        tracehop: activeSpan(),
      })),
    )
    handle?.finish({ statusCode: 200 })
    assert.ok(seen)
    assert.ok(seen.otel === undefined, 'OTel has no active span')
    assert.ok(seen.tracehop === undefined, "nor has tracehop: its active span is OTel's")
  })

  it('should parent a request dispatched in-process inside another of the same trace with its call', () => {
    // fastify.inject() and light-my-request run the request in the caller's context, where the
    // outer request's SERVER span (tracehop's, or instrumentation-http's) is active.
    const outerSpans = {
      tracehop: () => {
        const handle = server.start({ method: 'GET', url: '/outer', headers: {} })
        assert.ok(handle)
        return { run: <T>(fn: () => T) => handle.run(fn), end: () => handle.finish({}) }
      },
      'instrumentation-http': () => {
        const span = otelTracer.startSpan('GET /outer', { kind: SpanKind.SERVER })
        const served = trace
          .setSpan(context.active(), span)
          .setValue(RPC_METADATA, { type: 'http', span })
        return { run: <T>(fn: () => T) => context.with(served, fn), end: () => span.end() }
      },
    }
    for (const [name, start] of Object.entries(outerSpans)) {
      sdk.reset()
      const outer = start()
      const callId = outer.run(() => {
        const call = client.start({ method: 'GET', url: 'http://self.test/inner' })
        const inner = server.start({ method: 'GET', url: '/inner', headers: { ...call?.headers } })
        inner?.finish({ statusCode: 200 })
        call?.finish({ statusCode: 200 })
        return call?.span.context().toSpanId()
      })
      outer.end()
      assert.ok(callId, name)
      const inner = sdk.spans().find((span) => span.attributes['url.path'] === '/inner')
      assert.equal(inner?.parentSpanContext?.spanId, callId, name)
    }
  })

  it('should record an error logged on an OTel span once, whatever baggage each log ran with', () => {
    const failure = new Error('db down')
    const logged = (fields: Record<string, unknown>) => activeSpan()?.log(fields)
    otelTracer.startActiveSpan('job', (job) => {
      logged({ event: 'error', 'error.object': failure })
      const tenant = propagation.createBaggage({ tenant: { value: 'acme' } })
      context.with(propagation.setBaggage(context.active(), tenant), () =>
        logged({ event: 'error', 'error.object': failure }),
      )
      job.end()
    })
    assert.equal(sdk.only().events.filter((event) => event.name === 'exception').length, 1)
  })
})
