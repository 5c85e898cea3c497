// Baggage set with setBaggageItem() beside the baggage OTel code keeps in its context: what each
// outbound call sends when both change.
import assert from 'node:assert/strict'
import { beforeEach, describe, it } from 'node:test'
import { context, propagation, trace, type Baggage } from '@opentelemetry/api'
import { activeSpan, startActiveSpan } from '@tracehop/core'
import { createClientTracing, createServerTracing } from '@tracehop/core/adapter'
import { JaegerPropagator } from '@opentelemetry/propagator-jaeger'
import { FORMAT_TEXT_MAP } from 'opentracing'
import { createOtelTracer } from '../src/index.js'
import { sdk, withPropagator } from '../../../test/support/otel-sdk.js'

const tracer = createOtelTracer()
const server = createServerTracing('test', { tracer })
const client = createClientTracing('test', { tracer })
const otelTracer = trace.getTracer('app')

// One outbound call, made where this runs; returns the baggage header it sent.
function sentBaggage(): string | undefined {
  const call = client.start({ method: 'GET', url: 'http://next.test/' })
  call?.finish({ statusCode: 200 })
  return call?.headers.baggage
}

// The baggage header a call made in a context with `baggage` (none: undefined) sends.
function sentWith(baggage: Baggage | undefined): string | undefined {
  const active = context.active()
  const inContext =
    baggage === undefined
      ? propagation.deleteBaggage(active)
      : propagation.setBaggage(active, baggage)
  return context.with(inContext, sentBaggage)
}

function entries(header: string | undefined): Set<string> {
  return new Set(header?.split(','))
}

describe('baggage set with setBaggageItem() beside OTel code', () => {
  beforeEach(() => sdk.reset())

  it('should keep what was set on a wrapped OTel span after a call in a context with other baggage', () => {
    const [before, nested, after, readBack] = otelTracer.startActiveSpan('job', (job) => {
      activeSpan()?.setBaggageItem('user', '7')
      const sent = [
        sentBaggage(),
        sentWith(propagation.createBaggage({ tenant: { value: 'acme' } })),
        // Back in the job's own context, whose OTel baggage never changed.
        sentBaggage(),
        activeSpan()?.getBaggageItem('user'),
      ]
      job.end()
      return sent
    })
    assert.equal(before, 'user=7')
    assert.equal(nested, 'tenant=acme', 'what runs below has the baggage OTel code gave it')
    assert.equal(after, 'user=7')
    assert.equal(readBack, '7')
    const calls = sdk.spans().filter((span) => span.name !== 'job')
    const job = sdk.spans().find((span) => span.name === 'job')
    assert.equal(calls.length, 3)
    for (const call of calls) {
      assert.equal(call.parentSpanContext?.spanId, job?.spanContext().spanId)
    }
  })

  it('should keep what was set on a wrapped OTel span with baggage, back in its context', () => {
    const tenant = propagation.createBaggage({ tenant: { value: 'acme' } })
    const sent = context.with(propagation.setBaggage(context.active(), tenant), () =>
      otelTracer.startActiveSpan('job', (job) => {
        activeSpan()?.setBaggageItem('user', '7')
        sentWith(undefined)
        const again = sentBaggage()
        job.end()
        return again
      }),
    )
    assert.deepEqual(entries(sent), new Set(['tenant=acme', 'user=7']))
  })

  it('should send an entry set on the request span as OTel code removed or changed it', () => {
    const handle = server.start({ method: 'GET', url: '/', headers: { baggage: 'user=anon' } })
    assert.ok(handle)
    const sent = handle.run(() => {
      handle.span.setBaggageItem('user', '7')
      const entered = propagation.getActiveBaggage() ?? propagation.createBaggage()
      return {
        untouched: sentBaggage(),
        removed: sentWith(entered.removeEntry('user')),
        changed: sentWith(entered.setEntry('user', { value: 'redacted' })),
        deleted: sentWith(undefined),
      }
    })
    handle.finish({ statusCode: 200 })
    assert.deepEqual(sent, {
      untouched: 'user=7',
      removed: undefined,
      changed: 'user=redacted',
      deleted: undefined,
    })
  })

  it('should send no baggage once OTel code deleted it, even an entry it never had', () => {
    const handle = server.start({ method: 'GET', url: '/', headers: { baggage: 'tenant=acme' } })
    assert.ok(handle)
    const [kept, deleted, underOtelSpan] = handle.run(() => {
      handle.span.setBaggageItem('user', '7')
      return [
        sentBaggage(),
        sentWith(undefined),
        context.with(propagation.deleteBaggage(context.active()), () =>
          otelTracer.startActiveSpan('db', (db) => {
            const baggage = sentBaggage()
            db.end()
            return baggage
          }),
        ),
      ]
    })
    handle.finish({ statusCode: 200 })
    assert.deepEqual(entries(kept), new Set(['tenant=acme', 'user=7']))
    assert.equal(deleted, undefined)
    assert.equal(underOtelSpan, undefined)
  })

  it('should send an entry OTel code set over one set on a request span that came with no baggage', () => {
    const handle = server.start({ method: 'GET', url: '/', headers: {} })
    assert.ok(handle)
    const sent = handle.run(() => {
      handle.span.setBaggageItem('user', '7')
      return [
        sentBaggage(),
        sentWith(propagation.createBaggage({ user: { value: 'redacted' } })),
        sentWith(propagation.createBaggage({ tenant: { value: 'acme' } })),
      ]
    })
    handle.finish({ statusCode: 200 })
    assert.equal(sent[0], 'user=7')
    assert.equal(sent[1], 'user=redacted')
    assert.deepEqual(entries(sent[2]), new Set(['tenant=acme', 'user=7']))
  })

  it("should send an entry set on the request span beside OTel code's that left it alone", () => {
    const handle = server.start({ method: 'GET', url: '/', headers: { baggage: 'user=anon' } })
    assert.ok(handle)
    const sent = handle.run(() => {
      handle.span.setBaggageItem('user', '7')
      const entered = propagation.getActiveBaggage() ?? propagation.createBaggage()
      return sentWith(entered.setEntry('region', { value: 'eu' }))
    })
    handle.finish({ statusCode: 200 })
    assert.deepEqual(entries(sent), new Set(['user=7', 'region=eu']))
  })

  it('should keep what was set on the request span after it is entered again, baggage and all', () => {
    const handle = server.start({ method: 'GET', url: '/', headers: { baggage: 'user=anon' } })
    assert.ok(handle)
    handle.span.setBaggageItem('user', '7')
    // Entered after setBaggageItem(): its context holds that baggage from the start.
    const sent = handle.run(() => {
      const first = sentBaggage()
      handle.span.setBaggageItem('user', '8')
      const entered = propagation.getActiveBaggage() ?? propagation.createBaggage()
      return [first, sentBaggage(), sentWith(entered.removeEntry('user'))]
    })
    handle.finish({ statusCode: 200 })
    assert.deepEqual(sent, ['user=7', 'user=8', undefined])
  })

  it('should send what was set on the request span from an OTel span OTel code started without it', () => {
    const handle = server.start({ method: 'GET', url: '/', headers: { baggage: 'user=anon' } })
    assert.ok(handle)
    const sent = handle.run(() => {
      handle.span.setBaggageItem('user', '7')
      const entered = propagation.getActiveBaggage() ?? propagation.createBaggage()
      const withoutUser = propagation.setBaggage(context.active(), entered.removeEntry('user'))
      const inOtelSpan = (name: string) =>
        otelTracer.startActiveSpan(name, (span) => {
          const baggage = sentBaggage()
          span.end()
          return baggage
        })
      return [inOtelSpan('kept'), context.with(withoutUser, () => inOtelSpan('removed'))]
    })
    handle.finish({ statusCode: 200 })
    assert.deepEqual(sent, ['user=7', undefined])
  })

  it('should send the baggage OTel code set with no span active', () => {
    const tenant = propagation.createBaggage({ tenant: { value: 'acme' } })
    assert.equal(sentWith(tenant), 'tenant=acme')
    assert.equal(sdk.only().parentSpanContext, undefined, 'the call is a root')
  })

  it('should keep the baggage OTel code set for what runs in a root span started in it', () => {
    const tenant = propagation.createBaggage({ tenant: { value: 'acme' } })
    const seen = context.with(propagation.setBaggage(context.active(), tenant), () =>
      startActiveSpan(
        'job',
        (job) => ({
          inOtelContext: propagation.getActiveBaggage()?.getEntry('tenant')?.value,
          onTheSpan: job.getBaggageItem('tenant'),
          sent: sentBaggage(),
        }),
        { tracer },
      ),
    )
    assert.deepEqual(seen, { inOtelContext: 'acme', onTheSpan: 'acme', sent: 'tenant=acme' })
  })

  it("should keep OTel's baggage from a request's span that continues no caller", () => {
    // The baggage of the context a server runs requests in is no caller's: it is not the request's.
    const tenant = propagation.createBaggage({ tenant: { value: 'acme' } })
    const sent = context.with(propagation.setBaggage(context.active(), tenant), () => {
      const handle = server.start({ method: 'GET', url: '/', headers: {} })
      const baggage = handle?.run(sentBaggage)
      handle?.finish({ statusCode: 200 })
      return baggage
    })
    assert.equal(sent, undefined)
  })

  it("should keep a baggage key's case through a text map, where a propagator names headers by key", () => {
    // Deprecated by OpenTelemetry, still what Jaeger-instrumented services send.
    // eslint-disable-next-line @typescript-eslint/no-deprecated
    const jaeger = new JaegerPropagator()
    const read = withPropagator(jaeger, () => {
      const span = tracer.startSpan('produce')
      span.setBaggageItem('tenantId', 't-42')
      const message: Record<string, string> = {}
      tracer.inject(span.context(), FORMAT_TEXT_MAP, message)
      span.finish()
      assert.equal(message['uberctx-tenantId'], 't-42')
      const received = tracer.extract(FORMAT_TEXT_MAP, message)
      assert.ok(received)
      const consumer = tracer.startSpan('consume', { childOf: received })
      consumer.finish()
      return [consumer.getBaggageItem('tenantId'), consumer.getBaggageItem('tenantid')]
    })
    assert.deepEqual(read, ['t-42', undefined])
  })

  it('should read a text map whose names are written title-case as header names', () => {
    // Deprecated by OpenTelemetry, still what Jaeger-instrumented services send.
    // eslint-disable-next-line @typescript-eslint/no-deprecated
    const jaeger = new JaegerPropagator()
    const [traceId, tenant] = withPropagator(jaeger, () => {
      const received = tracer.extract(FORMAT_TEXT_MAP, {
        'Uber-Trace-Id': '0af7651916cd43dd8448eb211c80319c:b7ad6b7169203331:0:1',
        'Uberctx-Tenant': 'acme',
      })
      assert.ok(received)
      const consumer = tracer.startSpan('consume', { childOf: received })
      consumer.finish()
      return [received.toTraceId(), consumer.getBaggageItem('tenant')]
    })
    assert.equal(traceId, '0af7651916cd43dd8448eb211c80319c')
    assert.equal(tenant, 'acme')
  })
})
