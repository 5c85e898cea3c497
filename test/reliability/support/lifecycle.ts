// What the lifecycle matrices (lifecycle-server.test.ts, lifecycle-client.test.ts) share: a
// tracer that remembers the tags each span was started with, a pool that runs the iterations of a
// case some at a time, the span of each iteration, and a trap for escaped errors.
import assert from 'node:assert/strict'
import { performance } from 'node:perf_hooks'
import { RecordingTracer, assertFinishedOnce, type RecordingSpan } from '@tracehop/testing'
import type { SpanOptions } from 'opentracing'
import { waitFor } from '../../support/net.js'

/** Iterations of every case of the matrices. */
export const ITERATIONS = 200
/** How many iterations of a case run at once. */
export const CONCURRENCY = 20
/** A span must finish at most this long after its socket closed. */
export const FINISH_BOUND_MS = 1000

/** The clock RecordingSpan stamps start and finish times with. */
export function now(): number {
  return performance.timeOrigin + performance.now()
}

/** A RecordingTracer that also keeps the tags given to startSpan (a span's tags merge later ones). */
export class StartTagTracer extends RecordingTracer {
  private readonly startTags = new WeakMap<RecordingSpan, Readonly<Record<string, unknown>>>()

  override startSpan(name: string, options?: SpanOptions): RecordingSpan {
    const tags = { ...options?.tags }
    const span = super.startSpan(name, options)
    this.startTags.set(span, tags)
    return span
  }

  /** The tags `span` was started with. */
  tagsAtStart(span: RecordingSpan): Readonly<Record<string, unknown>> {
    return this.startTags.get(span) ?? {}
  }

  /** The spans started for iteration `n` (whose `http.url` has the query `n=<n>`). */
  spansOf(n: number): RecordingSpan[] {
    return this.spans().filter((span) => iterationOf(this.tagsAtStart(span)) === n)
  }

  /** True once a span of iteration `n` has started. */
  hasStarted(n: number): boolean {
    return this.spans().some((span) => iterationOf(this.tagsAtStart(span)) === n)
  }
}

function iterationOf(tags: Readonly<Record<string, unknown>>): number | undefined {
  const url = tags['http.url']
  if (typeof url !== 'string') return undefined
  const n = new URL(url, 'http://x').searchParams.get('n')
  return n === null ? undefined : Number(n)
}

/** Runs `iteration(0 … count-1)`, `concurrency` at a time; resolves with their results in order. */
export async function repeat<T>(
  iteration: (n: number) => Promise<T>,
  count = ITERATIONS,
  concurrency = CONCURRENCY,
): Promise<T[]> {
  const results = new Array<T>(count)
  let next = 0
  const worker = async () => {
    while (next < count) {
      const n = next++
      results[n] = await iteration(n)
    }
  }
  await Promise.all(Array.from({ length: concurrency }, worker))
  return results
}

/**
 * Waits until no span is open, then checks, a moment later (a late second finish would show),
 * that every span was finished exactly once.
 */
export async function settled(tracer: RecordingTracer): Promise<void> {
  await waitFor(() => tracer.openSpans().length === 0, 'every span finished', 5000)
  await new Promise((resolve) => setTimeout(resolve, 50))
  assertFinishedOnce(tracer.spans())
  assert.equal(tracer.openSpans().length, 0)
}

/** Asserts the error log of a failed span: event, the error object, its message and stack. */
export function assertErrorLog(span: RecordingSpan, error?: unknown): void {
  const logs = span.logs.filter((log) => log.fields.event === 'error')
  assert.equal(logs.length, 1, `${span.operationName}: one error log`)
  const fields = logs[0]!.fields
  if (error !== undefined) assert.equal(fields['error.object'], error, 'the very error object')
  else assert.ok(fields['error.object'] instanceof Error, 'error.object is the Error')
  assert.equal(typeof fields.message, 'string')
  assert.match(String(fields.stack), /Error/)
}
