// The OTel SDK (2.x) as an application sets it up: a provider exporting to memory, the
// AsyncLocalStorage context manager and the W3C propagators, registered globally, once per
// test process. `sampler` decides per span, so tests can sample out or watch what it saw.
import assert from 'node:assert/strict'
import {
  context,
  propagation,
  trace,
  type Attributes,
  type SpanKind,
  type TextMapPropagator,
} from '@opentelemetry/api'
import { AsyncLocalStorageContextManager } from '@opentelemetry/context-async-hooks'
import {
  CompositePropagator,
  W3CBaggagePropagator,
  W3CTraceContextPropagator,
} from '@opentelemetry/core'
import {
  AlwaysOnSampler,
  BasicTracerProvider,
  InMemorySpanExporter,
  SimpleSpanProcessor,
  type ReadableSpan,
  type Sampler,
  type SamplingResult,
} from '@opentelemetry/sdk-trace-base'

/** What the sampler saw of a span at its start. */
export interface SeenAtStart {
  name: string
  kind: SpanKind
  attributes: Attributes
}

/** Spans the SDK exported, what the sampler saw, and the sampler to use next. */
export const sdk = {
  exporter: new InMemorySpanExporter(),
  seen: [] as SeenAtStart[],
  sampler: new AlwaysOnSampler() as Sampler,
  /** Exported spans, oldest first. */
  spans(): ReadableSpan[] {
    return sdk.exporter.getFinishedSpans()
  },
  /** The one span exported; fails the test, naming them, when there is not exactly one. */
  only(): ReadableSpan {
    const spans = sdk.spans()
    assert.equal(spans.length, 1, `spans: ${spans.map((span) => span.name).join(', ')}`)
    return spans[0] as ReadableSpan
  },
  /** Forgets exported spans and what the sampler saw, and samples everything again. */
  reset(): void {
    sdk.exporter.reset()
    sdk.seen.length = 0
    sdk.sampler = new AlwaysOnSampler()
  },
}

const watchingSampler: Sampler = {
  shouldSample(parent, traceId, name, kind, attributes, links): SamplingResult {
    sdk.seen.push({ name, kind, attributes: { ...attributes } })
    return sdk.sampler.shouldSample(parent, traceId, name, kind, attributes, links)
  },
  toString: () => 'watching',
}

const provider = new BasicTracerProvider({
  sampler: watchingSampler,
  spanProcessors: [new SimpleSpanProcessor(sdk.exporter)],
})
trace.setGlobalTracerProvider(provider)
context.setGlobalContextManager(new AsyncLocalStorageContextManager().enable())
propagation.setGlobalPropagator(
  new CompositePropagator({
    propagators: [new W3CTraceContextPropagator(), new W3CBaggagePropagator()],
  }),
)

/** Runs `fn` with `propagator` as OTel's global propagator, then the W3C ones again. */
export function withPropagator<T>(propagator: TextMapPropagator, fn: () => T): T {
  const w3c = new CompositePropagator({
    propagators: [new W3CTraceContextPropagator(), new W3CBaggagePropagator()],
  })
  propagation.disable()
  propagation.setGlobalPropagator(propagator)
  try {
    return fn()
  } finally {
    propagation.disable()
    propagation.setGlobalPropagator(w3c)
  }
}
