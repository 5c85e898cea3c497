import { type RecordingSpan, RecordingTracer, type RecordingSpanContext } from '@tracehop/testing'
import type { SpanOptions } from 'opentracing'

/** Where FaultyTracer throws. */
export type FaultPoint =
  'extract' | 'inject' | 'startSpan' | 'addTags' | 'log' | 'finish' | 'setOperationName'

/** A RecordingTracer that throws at one chosen point, on every call. */
export class FaultyTracer extends RecordingTracer {
  constructor(readonly fault: FaultPoint) {
    super()
  }

  protected override _startSpan(name: string, fields: SpanOptions): RecordingSpan {
    if (this.fault === 'startSpan') throw new Error('startSpan exploded')
    const span = super._startSpan(name, fields)
    const fault = this.fault
    const explode = (): never => {
      throw new Error(`${fault} exploded`)
    }
    if (fault === 'addTags') Object.defineProperty(span, '_addTags', { value: explode })
    if (fault === 'log') Object.defineProperty(span, '_log', { value: explode })
    if (fault === 'setOperationName')
      Object.defineProperty(span, '_setOperationName', { value: explode })
    if (fault === 'finish') {
      const finish = span.finish.bind(span)
      Object.defineProperty(span, 'finish', {
        value: (time?: number) => {
          finish(time)
          throw new Error('finish exploded')
        },
      })
    }
    return span
  }

  protected override _extract(format: string, carrier: unknown): RecordingSpanContext | null {
    if (this.fault === 'extract') throw new Error('extract exploded')
    return super._extract(format, carrier)
  }

  protected override _inject(
    context: RecordingSpanContext,
    format: string,
    carrier: unknown,
  ): void {
    if (this.fault === 'inject') throw new Error('inject exploded')
    super._inject(context, format, carrier)
  }
}
