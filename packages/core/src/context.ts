import { AsyncLocalStorage } from 'node:async_hooks'
import {
  globalTracer,
  Span as NoopSpan,
  type Span,
  type SpanOptions,
  type Tracer,
} from 'opentracing'
import { describeError } from './errors.js'

// One storage per process, whatever number of copies of this package are loaded (CJS and ESM
// builds, or two versions side by side): a span made active by one copy is seen by the others.
const STORAGE_KEY = Symbol.for('tracehop.activeSpan.storage')
type GlobalWithStorage = typeof globalThis & { [STORAGE_KEY]?: AsyncLocalStorage<Span> }
const holder = globalThis as GlobalWithStorage
const storage: AsyncLocalStorage<Span> = (holder[STORAGE_KEY] ??= new AsyncLocalStorage<Span>())

/** The span active in the current async context, or undefined outside any traced work. */
export function activeSpan(): Span | undefined {
  return storage.getStore()
}

/** Runs `fn` with `span` as the active span and returns what `fn` returns. */
export function withSpan<T>(span: Span, fn: () => T): T {
  return storage.run(span, fn)
}

/** Options of startActiveSpan: the tracer (default: the parent's, else the global one) and tags. */
export interface ActiveSpanOptions {
  /** Tracer that starts the span; default: the active span's tracer, else `globalTracer()`. */
  tracer?: Tracer
  /** Tags set when the span starts; default: none. */
  tags?: Record<string, unknown>
}

/**
 * Starts a child of the active span (a root span when none is active), runs `fn(span)` with it
 * active, and finishes it when `fn` returns or its promise settles; a throw or rejection is
 * recorded on the span (`error` tag and log) and rethrown.
 */
export function startActiveSpan<T>(
  name: string,
  fn: (span: Span) => T,
  options: ActiveSpanOptions = {},
): T {
  const span = startChildSpan(name, options)
  let result: T
  try {
    result = storage.run(span, fn, span)
  } catch (error) {
    finishWithError(span, error)
    throw error
  }
  if (isPromiseLike(result)) {
    return result.then(
      (value) => {
        safeFinish(span)
        return value
      },
      (error: unknown) => {
        finishWithError(span, error)
        throw error
      },
    ) as T
  }
  safeFinish(span)
  return result
}

/** Trace and span ids of `span` (default: the active span) for log correlation, or undefined. */
export function traceIds(span: Span | undefined = activeSpan()): TraceIds | undefined {
  if (span === undefined) return undefined
  try {
    const context = span.context()
    const traceId = context.toTraceId()
    const spanId = context.toSpanId()
    if (typeof traceId !== 'string' || traceId === '') return undefined
    return { traceId, spanId: typeof spanId === 'string' ? spanId : '' }
  } catch {
    return undefined
  }
}

/** The ids traceIds() returns. */
export interface TraceIds {
  traceId: string
  spanId: string
}

function startChildSpan(name: string, options: ActiveSpanOptions): Span {
  const parent = storage.getStore()
  try {
    const tracer = options.tracer ?? parent?.tracer() ?? globalTracer()
    const spanOptions: SpanOptions = {}
    if (parent !== undefined) spanOptions.childOf = parent.context()
    if (options.tags !== undefined) spanOptions.tags = { ...options.tags }
    const span = tracer.startSpan(name, spanOptions)
    // A broken tracer must not break the user's function: it gets a span that records nothing.
    return isSpan(span) ? span : new NoopSpan()
  } catch {
    return new NoopSpan()
  }
}

function finishWithError(span: Span, error: unknown): void {
  try {
    span.addTags({ error: true })
    span.log(describeError(error))
  } catch {
    // The user's error is what matters here; a tracer failure must not replace it.
  }
  safeFinish(span)
}

function safeFinish(span: Span): void {
  try {
    span.finish()
  } catch {
    // Nothing to do: the span is lost, the user's result is not.
  }
}

function isPromiseLike<T>(value: T): value is T & PromiseLike<Awaited<T>> {
  return (
    value !== null &&
    (typeof value === 'object' || typeof value === 'function') &&
    typeof (value as { then?: unknown }).then === 'function'
  )
}

/** True when `value` has the methods tracehop calls on a span. */
export function isSpan(value: unknown): value is Span {
  if (value === null || typeof value !== 'object') return false
  const candidate = value as Partial<Record<keyof Span, unknown>>
  return (
    typeof candidate.finish === 'function' &&
    typeof candidate.context === 'function' &&
    typeof candidate.addTags === 'function' &&
    typeof candidate.log === 'function'
  )
}
