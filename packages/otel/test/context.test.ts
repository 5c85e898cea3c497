import { EventEmitter } from 'node:events'
import assert from 'node:assert/strict'
import { beforeEach, describe, it } from 'node:test'
import { setTimeout as sleep } from 'node:timers/promises'
import {
  context,
  createContextKey,
  propagation,
  ROOT_CONTEXT,
  SpanKind,
  SpanStatusCode,
  trace,
  type Span as OtelSpan,
} from '@opentelemetry/api'
import { B3InjectEncoding, B3Propagator } from '@opentelemetry/propagator-b3'
import {
  AlwaysOffSampler,
  ParentBasedSampler,
  SamplingDecision,
} from '@opentelemetry/sdk-trace-base'
import { activeSpan, startActiveSpan, withSpan } from '@tracehop/core'
import { createClientTracing, createServerTracing } from '@tracehop/core/adapter'
import { FORMAT_HTTP_HEADERS, FORMAT_TEXT_MAP, type Span } from 'opentracing'
import { createOtelTracer } from '../src/index.js'
import { BridgeSpan } from '../src/span.js'
import { heapAfterGc } from '../../../test/support/heap.js'
import { sdk, withPropagator } from '../../../test/support/otel-sdk.js'

const tracer = createOtelTracer()
const server = createServerTracing('test', { tracer })
const client = createClientTracing('test', { tracer })
const otelTracer = trace.getTracer('app')
const TRACEPARENT = '00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01'

function otelOf(span: unknown) {
  assert.ok(span instanceof BridgeSpan)
  return span.otel
}

// One outbound call, made where this runs; returns the headers it sent.
function callOut(): Record<string, string> {
  const call = client.start({ method: 'GET', url: 'http://next.test/' })
  call?.finish({ statusCode: 200 })
  return { ...call?.headers }
}

// A request with `headers` that makes one outbound call; returns the headers that call sent.
function serveAndCallOut(
  headers: Record<string, string>,
  tracing = server,
): Record<string, string> {
  const handle = tracing.start({ method: 'GET', url: '/', headers })
  const carrier = handle?.run(callOut) ?? {}
  handle?.finish({ statusCode: 200 })
  return carrier
}

const B3_DEBUG_CALLER = {
  'x-b3-traceid': '0af7651916cd43dd8448eb211c80319c',
  'x-b3-spanid': 'b7ad6b7169203331',
  'x-b3-flags': '1',
}

// @opentelemetry/core's RPC metadata key, where instrumentation-http keeps its SERVER span.
const RPC_METADATA = createContextKey('OpenTelemetry SDK Context Key RPC_METADATA')

// The context instrumentation-http runs a request's handlers in, `span` its SERVER span.
function servedBy(span: OtelSpan, from = context.active()) {
  return trace.setSpan(from, span).setValue(RPC_METADATA, { type: 'http', span })
}

// Samples out a root span named `name`, and samples every other root.
function samplerDropping(name: string) {
  return new ParentBasedSampler({
    root: {
      shouldSample: (_context, _traceId, spanName) => ({
        decision:
          spanName === name ? SamplingDecision.NOT_RECORD : SamplingDecision.RECORD_AND_SAMPLED,
      }),
      toString: () => `drops ${name}`,
    },
  })
}

// Runs `fn` with B3 propagation where instrumentation-http would: in the caller's context, with
// its own SERVER span continuing it.
function behindInstrumentationHttp<T>(headers: Record<string, string>, fn: () => T): T {
  const b3 = new B3Propagator({ injectEncoding: B3InjectEncoding.MULTI_HEADER })
  return withPropagator(b3, () => {
    const extracted = propagation.extract(ROOT_CONTEXT, headers)
    const httpSpan = otelTracer.startSpan('GET', { kind: SpanKind.SERVER }, extracted)
    try {
      return context.with(servedBy(httpSpan, extracted), fn)
    } finally {
      httpSpan.end()
    }
  })
}

describe('one context with OTel', () => {
  beforeEach(() => sdk.reset())

  it("should make tracehop's active span OTel's, across await and timers", async () => {
    const handle = server.start({ method: 'GET', url: '/', headers: {} })
    assert.ok(handle)
    await handle.run(async () => {
      assert.equal(trace.getActiveSpan(), otelOf(handle.span))
      await sleep(1)
      await new Promise<void>((resolve) =>
        setTimeout(() => {
          otelTracer.startActiveSpan('db.query', (span) => {
            assert.equal(activeSpan() instanceof BridgeSpan, true)
            span.end()
          })
          resolve()
        }, 1),
      )
      assert.equal(activeSpan(), handle.span)
    })
    handle.finish({ statusCode: 200 })
    const [query, request] = sdk.spans()
    assert.equal(query?.name, 'db.query')
    assert.equal(query?.parentSpanContext?.spanId, otelOf(handle.span).spanContext().spanId)
    assert.equal(query?.spanContext().traceId, request?.spanContext().traceId)
  })

  it("should make tracehop's spans children of the active OTel span", async () => {
    await otelTracer.startActiveSpan('job', async (job) => {
      await startActiveSpan('step', async () => {
        await sleep(1)
        const call = client.start({ method: 'GET', url: 'http://a.test/' })
        call?.finish({ statusCode: 200 })
      })
      job.end()
    })
    const [call, step, job] = sdk.spans()
    assert.equal(step?.parentSpanContext?.spanId, job?.spanContext().spanId)
    assert.equal(call?.parentSpanContext?.spanId, step?.spanContext().spanId)
    assert.equal(activeSpan(), undefined)
  })

  it('should keep no earlier span alive through the spans started under OTel spans', async () => {
    // A job loop: each job runs in the previous one's context, an OTel span (a queue consumer)
    // between them.
    const jobs: Array<WeakRef<object>> = []
    let previous: Span = tracer.startSpan('job 0')
    previous.finish()
    for (let i = 1; i <= 20; i++) {
      previous = withSpan(previous, () =>
        otelTracer.startActiveSpan('consume', (consume) => {
          const consumer = activeSpan()
          assert.ok(consumer)
          const job = tracer.startSpan(`job ${i}`, { childOf: consumer })
          job.finish()
          consume.end()
          jobs.push(new WeakRef(job))
          return job
        }),
      )
    }
    await heapAfterGc()
    const kept = jobs.slice(0, -1).filter((job) => job.deref() !== undefined)
    assert.equal(kept.length, 0, 'only the last job is still referenced')
  })

  it('should keep the request span in every context OTel code derives inside it', () => {
    const handle = server.start({ method: 'GET', url: '/', headers: {} })
    assert.ok(handle)
    const tenant = createContextKey('tenant')
    const seen = handle.run(() => {
      const entered = context.active()
      const derived = entered.setValue(tenant, 'acme')
      const cleared = derived.deleteValue(tenant)
      return [entered, derived, cleared].map((each) =>
        context.with(each, () => [trace.getActiveSpan(), activeSpan(), each.getValue(tenant)]),
      )
    })
    handle.finish({ statusCode: 200 })
    const spans = [otelOf(handle.span), handle.span]
    assert.deepEqual(seen, [
      [...spans, undefined],
      [...spans, 'acme'],
      [...spans, undefined],
    ])
  })

  it('should give an OTel span started inside a tracehop span back as the active span', () => {
    const outer = tracer.startSpan('outer')
    withSpan(outer, () => {
      otelTracer.startActiveSpan('inner', (inner) => {
        const active = activeSpan()
        assert.ok(active instanceof BridgeSpan)
        assert.equal(active.otel, inner)
        assert.equal(activeSpan(), active, 'the same wrapper each time')
        active.setTag('error', true)
        active.finish() // not tracehop's to end
        inner.end()
      })
      assert.equal(activeSpan(), outer)
    })
    outer.finish()
    assert.deepEqual(
      sdk.spans().map((span) => [span.name, span.status.code]),
      [
        ['inner', SpanStatusCode.ERROR],
        ['outer', SpanStatusCode.UNSET],
      ],
    )
  })
})

describe('propagation through the OTel propagator', () => {
  beforeEach(() => sdk.reset())

  it('should continue an incoming trace and send one traceparent, tracestate kept', () => {
    const headers = { traceparent: TRACEPARENT, tracestate: 'vendor=abc' }
    const carrier = serveAndCallOut(headers)
    const [call, request] = sdk.spans()
    assert.equal(request?.parentSpanContext?.spanId, 'b7ad6b7169203331')
    assert.equal(request?.spanContext().traceId, '0af7651916cd43dd8448eb211c80319c')
    assert.equal(
      carrier.traceparent,
      `00-0af7651916cd43dd8448eb211c80319c-${call?.spanContext().spanId}-01`,
    )
    assert.equal(carrier.tracestate, 'vendor=abc')
  })

  it('should keep baggage readable and writable on both sides, and send it on', () => {
    const headers = { traceparent: TRACEPARENT, baggage: 'tenant=acme' }
    const handle = server.start({ method: 'GET', url: '/', headers })
    assert.ok(handle)
    assert.equal(handle.span.getBaggageItem('tenant'), 'acme')
    const carrier: Record<string, string> = {}
    handle.run(() => {
      assert.equal(propagation.getActiveBaggage()?.getEntry('tenant')?.value, 'acme')
      const added = propagation.getActiveBaggage()?.setEntry('region', { value: 'eu' })
      context.with(
        propagation.setBaggage(context.active(), added ?? propagation.createBaggage()),
        () => {
          const call = client.start({ method: 'GET', url: 'http://next.test/' })
          call?.span.setBaggageItem('hop', '2')
          Object.assign(carrier, call?.headers)
          call?.finish({ statusCode: 200 })
        },
      )
    })
    handle.finish({ statusCode: 200 })
    const sent = new Set(carrier.baggage?.split(','))
    assert.deepEqual(sent, new Set(['tenant=acme', 'region=eu']))
  })

  it("should send on baggage set on the request span while it runs, beside OTel code's", () => {
    const headers = { traceparent: TRACEPARENT, baggage: 'tenant=acme' }
    const handle = server.start({ method: 'GET', url: '/', headers })
    assert.ok(handle)
    const carrier = handle.run(() => {
      handle.span.setBaggageItem('user', '7')
      const added = propagation.getActiveBaggage()?.setEntry('region', { value: 'eu' })
      return context.with(
        propagation.setBaggage(context.active(), added ?? propagation.createBaggage()),
        callOut,
      )
    })
    handle.finish({ statusCode: 200 })
    assert.deepEqual(
      new Set(carrier.baggage?.split(',')),
      new Set(['tenant=acme', 'region=eu', 'user=7']),
    )
  })

  it('should not pass on baggage an OTel instrumentation extracted from an untrusted caller', () => {
    const untrusting = createServerTracing('test', { tracer, trustIncoming: false })
    const headers = { traceparent: TRACEPARENT, baggage: 'secret=untrusted' }
    // What instrumentation-http leaves active before the app's middleware runs.
    const extracted = propagation.extract(context.active(), headers)
    const carrier = context.with(extracted, () => serveAndCallOut(headers, untrusting))
    assert.match(carrier.traceparent ?? '', /^00-[0-9a-f]{32}-/, 'the request made its call')
    assert.equal(carrier.baggage, undefined)
    assert.doesNotMatch(carrier.traceparent ?? '', /0af7651916cd43dd8448eb211c80319c/)
  })

  for (const format of [FORMAT_HTTP_HEADERS, FORMAT_TEXT_MAP]) {
    it(`should read the names it knows in any case from a carrier (${format})`, () => {
      const context = tracer.extract(format, {
        Traceparent: TRACEPARENT,
        BAGGAGE: 'tenant=acme',
      })
      assert.equal(context?.toTraceId(), '0af7651916cd43dd8448eb211c80319c')
      assert.equal(context?.toSpanId(), 'b7ad6b7169203331')
      const span = tracer.startSpan('consume', { childOf: context ?? undefined })
      assert.equal(span.getBaggageItem('tenant'), 'acme')
      span.finish()
    })
  }

  it('should send the baggage OTel code set around a call inside an OTel span', () => {
    const sent: Array<string | undefined> = []
    const sendBaggage = () => sent.push(callOut().baggage)
    otelTracer.startActiveSpan('job', (job) => {
      sendBaggage()
      const first = propagation.createBaggage({ tenant: { value: 'first' } })
      context.with(propagation.setBaggage(context.active(), first), sendBaggage)
      const second = propagation.createBaggage({ tenant: { value: 'second' } })
      context.with(propagation.setBaggage(context.active(), second), sendBaggage)
      job.end()
    })
    assert.deepEqual(sent, [undefined, 'tenant=first', 'tenant=second'])
  })

  it('should keep the baggage of each call made at once under one OTel span', () => {
    // As axios does: each call's parent is taken when it is made, its span started later.
    const callers = otelTracer.startActiveSpan('batch', (batch) => {
      const callerIn = (tenant: string) => {
        const baggage = propagation.createBaggage({ tenant: { value: tenant } })
        return context.with(propagation.setBaggage(context.active(), baggage), () =>
          client.callerSpan(),
        )
      }
      const both = [callerIn('a'), callerIn('b')]
      batch.end()
      return both
    })
    const sent = callers.map((caller) => {
      const call = client.start({ method: 'GET', url: 'http://next.test/' }, caller)
      call?.finish({ statusCode: 200 })
      return call?.headers.baggage
    })
    assert.deepEqual(sent, ['tenant=a', 'tenant=b'])
  })

  it('should send no entry OTel code removed or changed before the call', () => {
    const headers = { traceparent: TRACEPARENT, baggage: 'tenant=acme,session=s3cr3t' }
    const handle = server.start({ method: 'GET', url: '/', headers })
    assert.ok(handle)
    const sent = handle.run(() => {
      const inContextWith = (baggage: ReturnType<typeof propagation.createBaggage>) =>
        context.with(propagation.setBaggage(context.active(), baggage), callOut).baggage
      const current = propagation.getActiveBaggage() ?? propagation.createBaggage()
      return [
        inContextWith(current.removeEntry('session')),
        inContextWith(current.setEntry('tenant', { value: 'globex' })),
        context.with(propagation.deleteBaggage(context.active()), callOut).baggage,
      ]
    })
    handle.finish({ statusCode: 200 })
    assert.deepEqual(sent, ['tenant=acme', 'tenant=globex,session=s3cr3t', undefined])
  })

  it('should send baggage set on the request span from inside an OTel span too', () => {
    const handle = server.start({ method: 'GET', url: '/', headers: { baggage: 'tenant=acme' } })
    assert.ok(handle)
    const sent = handle.run(() => {
      handle.span.setBaggageItem('user', '7')
      return otelTracer.startActiveSpan('db', (db) => {
        const carrier = callOut()
        db.end()
        return carrier.baggage
      })
    })
    handle.finish({ statusCode: 200 })
    assert.deepEqual(new Set(sent?.split(',')), new Set(['tenant=acme', 'user=7']))
  })

  it("should pass on what else the caller's propagator read, such as B3's debug flag", () => {
    const b3 = new B3Propagator({ injectEncoding: B3InjectEncoding.MULTI_HEADER })
    const [direct, underOtelSpan] = withPropagator(b3, () => {
      const handle = server.start({ method: 'GET', url: '/', headers: B3_DEBUG_CALLER })
      const sent = handle?.run(() => [
        callOut(),
        otelTracer.startActiveSpan('middleware', (middleware) => {
          const carrier = callOut()
          middleware.end()
          return carrier
        }),
      ])
      handle?.finish({ statusCode: 200 })
      return sent ?? []
    })
    assert.equal(direct?.['x-b3-traceid'], '0af7651916cd43dd8448eb211c80319c')
    assert.equal(direct?.['x-b3-flags'], '1')
    assert.equal(underOtelSpan?.['x-b3-flags'], '1', 'from under an OTel span in the request too')
  })

  it("should pass a trusted caller's flags on beside an instrumentation's SERVER span", () => {
    const sent = behindInstrumentationHttp(B3_DEBUG_CALLER, () => serveAndCallOut(B3_DEBUG_CALLER))
    assert.equal(sent['x-b3-traceid'], B3_DEBUG_CALLER['x-b3-traceid'])
    assert.equal(sent['x-b3-flags'], '1')
    const [, request, http] = sdk.spans()
    assert.equal(request?.parentSpanContext?.spanId, http?.spanContext().spanId)
  })

  it("should not pass an untrusted caller's flags on from inside an OTel span", () => {
    const untrusting = createServerTracing('test', { tracer, trustIncoming: false })
    const sent = behindInstrumentationHttp(B3_DEBUG_CALLER, () => {
      const handle = untrusting.start({ method: 'GET', url: '/', headers: B3_DEBUG_CALLER })
      const headers = handle?.run(() =>
        otelTracer.startActiveSpan('middleware', (middleware) => {
          const made = callOut()
          middleware.end()
          return made
        }),
      )
      handle?.finish({ statusCode: 200 })
      return headers
    })
    assert.notEqual(sent?.['x-b3-traceid'], B3_DEBUG_CALLER['x-b3-traceid'])
    assert.equal(sent?.['x-b3-flags'], undefined, "the caller's debug flag stays out")
  })

  it("should keep an untrusted caller's flags from what OTel instrumentations send", () => {
    const untrusting = createServerTracing('test', { tracer, trustIncoming: false })
    type Seen = [sent: Record<string, string>, metadata: unknown, edgeMetadata: unknown]
    const [sent, metadata, edgeMetadata] = behindInstrumentationHttp(B3_DEBUG_CALLER, (): Seen => {
      const handle = untrusting.start({ method: 'GET', url: '/', headers: B3_DEBUG_CALLER })
      // What instrumentation-http or -undici injects for a call the request makes.
      const made = handle?.run(() => {
        const carrier: Record<string, string> = {}
        propagation.inject(context.active(), carrier)
        return [carrier, context.active().getValue(RPC_METADATA)] as const
      })
      handle?.finish({ statusCode: 200 })
      return [...(made ?? [{}, undefined]), context.active().getValue(RPC_METADATA)]
    })
    assert.match(sent['x-b3-traceid'] ?? '', /^[0-9a-f]{32}$/)
    assert.notEqual(sent['x-b3-traceid'], B3_DEBUG_CALLER['x-b3-traceid'])
    assert.equal(sent['x-b3-flags'], undefined, "the caller's debug flag stays out")
    assert.ok(edgeMetadata !== undefined)
    assert.equal(metadata, edgeMetadata, "instrumentation-http's metadata is kept")
  })

  it('should send what was set on an OTel span over what the request span set', () => {
    const handle = server.start({ method: 'GET', url: '/', headers: {} })
    assert.ok(handle)
    const sent = handle.run(() => {
      handle.span.setBaggageItem('user', 'anonymous')
      return otelTracer.startActiveSpan('middleware', (middleware) => {
        activeSpan()?.setBaggageItem('user', 'alice')
        const carrier = callOut()
        middleware.end()
        return carrier.baggage
      })
    })
    handle.finish({ statusCode: 200 })
    assert.equal(sent, 'user=alice')
  })

  it('should not lose a carrier that holds baggage only', () => {
    const context = tracer.extract(FORMAT_HTTP_HEADERS, { baggage: 'tenant=acme' })
    assert.ok(context)
    const span = tracer.startSpan('root', { childOf: context })
    assert.equal(span.getBaggageItem('tenant'), 'acme')
    const carrier: Record<string, string> = {}
    tracer.inject(span.context(), FORMAT_HTTP_HEADERS, carrier)
    span.finish()
    assert.equal(carrier.baggage, 'tenant=acme')
    assert.match(carrier.traceparent ?? '', /^00-[0-9a-f]{32}-[0-9a-f]{16}-01$/)
    assert.equal(sdk.spans()[0]?.parentSpanContext, undefined)
  })

  for (const trustIncoming of [true, false]) {
    it(`should hold the decision of an edge span its sampler dropped (trustIncoming: ${trustIncoming})`, () => {
      // Drops the instrumentation's root SERVER span and would sample any other root.
      sdk.sampler = samplerDropping('edge')
      const tracing = createServerTracing('test', { tracer, trustIncoming })
      // What instrumentation-http leaves active for a request that sent no trace context.
      const edge = otelTracer.startSpan('edge', { kind: SpanKind.SERVER })
      assert.equal(edge.isRecording(), false)
      const carrier = context.with(servedBy(edge), () => serveAndCallOut({}, tracing))
      edge.end()
      const edgeTrace = edge.spanContext().traceId
      if (trustIncoming) {
        assert.equal(sdk.spans().length, 0, 'nothing of the request is sampled')
        assert.match(carrier.traceparent ?? '', new RegExp(`^00-${edgeTrace}-[0-9a-f]{16}-00$`))
      } else {
        // The edge may have continued a caller tracehop does not trust: its decision is not taken.
        assert.equal(sdk.spans().length, 2, 'the request and its call, in a trace of their own')
        assert.doesNotMatch(carrier.traceparent ?? '', new RegExp(edgeTrace))
      }
    })
  }

  it("should not take a dropped span that is no request's edge, a start-up span say, for one", () => {
    sdk.sampler = samplerDropping('start-up')
    const startUp = otelTracer.startSpan('start-up')
    // Node runs a server's requests in the context it started listening in.
    const carrier = context.with(trace.setSpan(context.active(), startUp), () =>
      serveAndCallOut({}),
    )
    startUp.end()
    assert.equal(sdk.spans().length, 2, 'the request and its call, in a trace of their own')
    assert.doesNotMatch(carrier.traceparent ?? '', new RegExp(startUp.spanContext().traceId))
  })

  it("should keep the context's values when a request's span is entered again inside it", () => {
    const untrusting = createServerTracing('test', { tracer, trustIncoming: false })
    const tenant = createContextKey('tenant')
    const [seen, span] = behindInstrumentationHttp(B3_DEBUG_CALLER, () => {
      const handle = untrusting.start({ method: 'GET', url: '/', headers: B3_DEBUG_CALLER })
      assert.ok(handle)
      const inside = handle.run(() =>
        context.with(context.active().setValue(tenant, 'acme'), () =>
          withSpan(handle.span, () => [context.active().getValue(tenant), trace.getActiveSpan()]),
        ),
      )
      handle.finish({ statusCode: 200 })
      return [inside, otelOf(handle.span)]
    })
    assert.deepEqual(seen, ['acme', span])
  })

  it('should keep the sampled flag of an unsampled trace downstream', () => {
    sdk.sampler = new ParentBasedSampler({ root: new AlwaysOffSampler() })
    const unsampled = '00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-00'
    const carrier = serveAndCallOut({ traceparent: unsampled })
    assert.equal(sdk.spans().length, 0)
    assert.match(carrier.traceparent ?? '', /^00-0af7651916cd43dd8448eb211c80319c-[0-9a-f]{16}-00$/)
    // Nothing is recorded, so nothing waits for the response to end.
    const response = Object.assign(new EventEmitter(), {
      statusCode: 200,
      headersSent: true,
      writableFinished: true,
    })
    const unsampledRequest = { method: 'GET', url: '/', headers: { traceparent: unsampled } }
    server.start(unsampledRequest)?.finishOnResponseEnd({}, response, () => '/', undefined)
    assert.equal(response.listenerCount('close'), 0)
  })
})
