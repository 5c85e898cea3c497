// A tracer that misbehaves at one chosen point on every call: it throws, or returns garbage.
// The contract suites use the points a plain throw covers; the chaos suite runs every point.
import { RecordingTracer, type RecordingSpan } from '@tracehop/testing'
import type { SpanContext, SpanOptions } from 'opentracing'

/** Every way ChaosTracer can misbehave. */
export const CHAOS_POINTS = [
  'extract throws',
  'extract returns garbage',
  'extract needs carrier.hasOwnProperty',
  'inject throws',
  'inject writes garbage',
  'startSpan throws',
  'startSpan returns garbage',
  'setTag and addTags throw',
  'log throws',
  'finish throws',
  'finish throws after finishing',
  'context throws',
  'setOperationName throws',
  'getBaggageItem and setBaggageItem throw',
  'tracer() throws',
  'every span method throws',
  'toTraceId throws',
] as const
export type ChaosPoint = (typeof CHAOS_POINTS)[number]

const boom = (what: string) => (): never => {
  throw new Error(`chaos: ${what}`)
}

const GARBAGE: unknown[] = [
  {},
  'junk',
  42,
  {
    toTraceId: () => {
      throw new Error('chaos: toTraceId')
    },
  },
  { toTraceId: () => '0' },
]

/** A RecordingTracer that misbehaves at `point` on every call. */
export class ChaosTracer extends RecordingTracer {
  private calls = 0

  constructor(readonly point: ChaosPoint) {
    super()
  }

  override startSpan(name: string, options?: SpanOptions): RecordingSpan {
    if (this.point === 'startSpan throws') boom('startSpan')()
    if (this.point === 'startSpan returns garbage') {
      return (this.calls++ % 2 === 0 ? null : { finish: 1 }) as unknown as RecordingSpan
    }
    return this.sabotage(super.startSpan(name, options))
  }

  override extract(format: string, carrier: unknown): SpanContext | null {
    if (this.point === 'extract throws') boom('extract')()
    if (this.point === 'extract returns garbage') {
      return GARBAGE[this.calls++ % GARBAGE.length] as SpanContext
    }
    if (this.point === 'extract needs carrier.hasOwnProperty') {
      // What jaeger-client did before 3.19: throws on a null-prototype carrier.
      // eslint-disable-next-line no-prototype-builtins
      ;(carrier as { hasOwnProperty(key: string): boolean }).hasOwnProperty('traceparent')
    }
    return super.extract(format, carrier)
  }

  override inject(context: SpanContext, format: string, carrier: unknown): void {
    if (this.point === 'inject throws') boom('inject')()
    if (this.point === 'inject writes garbage') {
      Object.assign(carrier as object, {
        traceparent: 'a\r\nInjected: 1',
        'bad header name': 'x',
        nested: { a: 1 },
        huge: 'x'.repeat(20_000),
      })
      return
    }
    super.inject(context, format, carrier)
  }

  private sabotage(span: RecordingSpan): RecordingSpan {
    const override = (method: string, what = method) =>
      Object.defineProperty(span, method, { value: boom(what), configurable: true })
    switch (this.point) {
      case 'setTag and addTags throw':
        override('setTag')
        override('addTags')
        break
      case 'log throws':
        override('log')
        break
      case 'finish throws':
        override('finish')
        break
      case 'finish throws after finishing': {
        // The span is recorded as finished, so a caller that retries finish() shows as a double.
        const finish = span.finish.bind(span)
        Object.defineProperty(span, 'finish', {
          value: (finishTime?: number) => {
            finish(finishTime)
            boom('finish')()
          },
          configurable: true,
        })
        break
      }
      case 'context throws':
        override('context')
        break
      case 'setOperationName throws':
        override('setOperationName')
        break
      case 'getBaggageItem and setBaggageItem throw':
        override('getBaggageItem')
        override('setBaggageItem')
        break
      case 'tracer() throws':
        override('tracer')
        break
      case 'every span method throws':
        for (const method of [
          'context',
          'tracer',
          'setOperationName',
          'setBaggageItem',
          'getBaggageItem',
          'setTag',
          'addTags',
          'log',
          'logEvent',
          'finish',
        ]) {
          override(method)
        }
        break
      case 'toTraceId throws': {
        const context = span.context()
        Object.defineProperty(context, 'toTraceId', { value: boom('toTraceId') })
        break
      }
      default:
        break
    }
    return span
  }
}
