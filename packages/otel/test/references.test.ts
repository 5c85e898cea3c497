// A span with several references: which one parents it, which become links.
import assert from 'node:assert/strict'
import { beforeEach, describe, it } from 'node:test'
import type { ReadableSpan } from '@opentelemetry/sdk-trace-base'
import {
  childOf,
  followsFrom,
  FORMAT_HTTP_HEADERS,
  MockTracer,
  type Span,
  type SpanContext,
} from 'opentracing'
import { createOtelTracer } from '../src/index.js'
import { BridgeSpan } from '../src/span.js'
import { sdk } from '../../../test/support/otel-sdk.js'

const tracer = createOtelTracer()
// Another OpenTracing tracer's span: its context can neither parent nor link a span of this one.
const foreign = new MockTracer().startSpan('foreign')

function spanIdOf(span: Span): string {
  assert.ok(span instanceof BridgeSpan)
  return span.otel.spanContext().spanId
}

// What a carrier that held baggage only (no trace context) extracts to.
function baggageOnly(): SpanContext {
  const context = tracer.extract(FORMAT_HTTP_HEADERS, { baggage: 'tenant=acme' })
  assert.ok(context)
  return context
}

function finished(name: string): ReadableSpan {
  const span = sdk.spans().find((each) => each.name === name)
  assert.ok(span, name)
  return span
}

describe('references', () => {
  beforeEach(() => sdk.reset())

  it("should take the first childOf of this tracer's as parent, after another tracer's", () => {
    const parent = tracer.startSpan('parent')
    tracer
      .startSpan('child', { references: [childOf(foreign.context()), childOf(parent.context())] })
      .finish()
    parent.finish()
    const child = finished('child')
    assert.equal(child.parentSpanContext?.spanId, spanIdOf(parent))
    assert.equal(child.spanContext().traceId, finished('parent').spanContext().traceId)
    assert.deepEqual(child.links, [])
  })

  it("should take a followsFrom of this tracer's as parent when no usable childOf is given", () => {
    const previous = tracer.startSpan('previous')
    tracer
      .startSpan('next', { references: [followsFrom(previous.context()), childOf(foreign)] })
      .finish()
    previous.finish()
    const next = finished('next')
    assert.equal(next.parentSpanContext?.spanId, spanIdOf(previous))
    assert.deepEqual(next.links, [])
  })

  it('should prefer a usable childOf to an earlier followsFrom, and link the rest', () => {
    const previous = tracer.startSpan('previous')
    const parent = tracer.startSpan('parent')
    const other = tracer.startSpan('other')
    tracer
      .startSpan('child', {
        references: [
          followsFrom(previous.context()),
          childOf(foreign.context()),
          childOf(parent.context()),
          childOf(other.context()),
        ],
      })
      .finish()
    for (const span of [previous, parent, other]) span.finish()
    const child = finished('child')
    assert.equal(child.parentSpanContext?.spanId, spanIdOf(parent))
    assert.deepEqual(
      child.links.map((link) => [link.context.spanId, link.attributes?.['opentracing.ref_type']]),
      [
        [spanIdOf(previous), 'follows_from'],
        [spanIdOf(other), 'child_of'],
      ],
    )
  })

  it('should start a root when no reference is to a span of this tracer', () => {
    tracer.startSpan('root', { references: [childOf(foreign.context())] }).finish()
    const root = finished('root')
    assert.equal(root.parentSpanContext, undefined)
    assert.deepEqual(root.links, [])
  })

  it('should link no context that holds baggage only', () => {
    const parent = tracer.startSpan('parent')
    tracer
      .startSpan('child', { references: [childOf(parent.context()), followsFrom(baggageOnly())] })
      .finish()
    parent.finish()
    const child = finished('child')
    assert.equal(child.parentSpanContext?.spanId, spanIdOf(parent))
    assert.deepEqual(child.links, [])
  })

  it('should parent with a span before a context that holds baggage only, and take that baggage too', () => {
    const previous = tracer.startSpan('previous')
    previous.setBaggageItem('user', '7')
    const orders = [
      [childOf(baggageOnly()), followsFrom(previous.context())],
      [followsFrom(previous.context()), childOf(baggageOnly())],
    ]
    const baggage = orders.map((references, at) => {
      const span = tracer.startSpan(`next ${at}`, { references })
      span.finish()
      return [span.getBaggageItem('tenant'), span.getBaggageItem('user')]
    })
    previous.finish()
    for (const name of ['next 0', 'next 1']) {
      const next = finished(name)
      assert.equal(next.parentSpanContext?.spanId, spanIdOf(previous), name)
      assert.deepEqual(next.links, [], name)
    }
    assert.deepEqual(baggage, [
      ['acme', '7'],
      ['acme', '7'],
    ])
  })

  it("should take the baggage of every reference, the parent's first, then the earlier's", () => {
    const request = tracer.startSpan('request')
    request.setBaggageItem('tenant', 'acme')
    const job = tracer.startSpan('job')
    job.setBaggageItem('job.id', '42')
    job.setBaggageItem('tenant', 'other')
    const region = tracer.extract(FORMAT_HTTP_HEADERS, { baggage: 'region=eu,job.id=7' })
    assert.ok(region)
    const span = tracer.startSpan('step', {
      references: [childOf(request.context()), followsFrom(job.context()), childOf(region)],
    })
    const carrier: Record<string, string> = {}
    tracer.inject(span.context(), FORMAT_HTTP_HEADERS, carrier)
    for (const each of [span, job, request]) each.finish()
    assert.equal(finished('step').parentSpanContext?.spanId, spanIdOf(request))
    assert.deepEqual(
      ['tenant', 'job.id', 'region'].map((key) => span.getBaggageItem(key)),
      ['acme', '42', 'eu'],
    )
    assert.deepEqual(
      new Set(carrier.baggage?.split(',')),
      new Set(['tenant=acme', 'job.id=42', 'region=eu']),
    )
  })
})
