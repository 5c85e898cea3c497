// Which errors a span recorded as `exception` events, and what an error log says when its error
// cannot be read: one event per error, however many times it is logged.
import type { Attributes, Span as OtelSpan } from '@opentelemetry/api'
import { attributeValue } from './attributes.js'

/**
 * The errors an OTel span recorded. Code that logs an error and rethrows it has it logged again
 * by whoever catches it (tracehop itself, when the request or active span fails with it): that
 * log is a repeat, not another error.
 */
export class RecordedErrors {
  // Errors (and any object thrown) are told by identity, held weakly: a long-lived span can log
  // many, and the SDK keeps only its last events anyway.
  private objects: WeakSet<object> | undefined
  // A thrown string or number has no identity: an equal value is the same error only when it
  // comes with the span's failure (a retry that logs the same message again is another error).
  // The last one recorded is all a rethrow can repeat, and a long-lived span keeps no list.
  private lastValue: unknown

  /** Whether `error` was recorded before, `failing` the log of the span's failure; else notes it. */
  isRepeat(error: unknown, failing: boolean): boolean {
    if ((typeof error === 'object' && error !== null) || typeof error === 'function') {
      if (this.objects?.has(error) === true) return true
      ;(this.objects ??= new WeakSet()).add(error)
      return false
    }
    // A log with no error object names no error it could repeat.
    if (error === undefined || error === null) return false
    if (failing && Object.is(error, this.lastValue)) return true
    this.lastValue = error
    return false
  }
}

// An OTel span tracehop did not start has one wrapper per baggage it is found active with: what it
// recorded is kept by the OTel span, for every wrapper.
const recordedOnForeignSpans = new WeakMap<OtelSpan, RecordedErrors>()

/** What `otel`, an OTel span tracehop did not start, recorded through any of its wrappers. */
export function recordedOnForeignSpan(otel: OtelSpan): RecordedErrors {
  let recorded = recordedOnForeignSpans.get(otel)
  if (recorded === undefined) recordedOnForeignSpans.set(otel, (recorded = new RecordedErrors()))
  return recorded
}

/** The `exception` event attributes of an error log, from its fields alone. */
export function exceptionAttributes(fields: Record<string, unknown>): Attributes {
  const attributes: Attributes = {}
  const kind = fields['error.kind']
  if (typeof kind === 'string') attributes['exception.type'] = kind
  // Without a message, an error given as a string (`error.object: 'timed out'`) says it.
  const message = fields.message ?? fields['error.object']
  if (typeof message === 'string') attributes['exception.message'] = message
  const stack = fields.stack
  if (typeof stack === 'string') attributes['exception.stacktrace'] = stack
  return attributes
}

// What an OpenTracing error log says of the error itself (core's logs say no more).
const ERROR_FIELDS = new Set(['event', 'error.object', 'error.kind', 'message', 'stack'])

/**
 * What else an error log says (`payment.id`, …), as attributes of its `exception` event, as
 * OTel's OpenTracing compatibility keeps them; undefined when it says nothing else.
 */
export function otherFields(fields: Record<string, unknown>): Attributes | undefined {
  let other: Attributes | undefined
  for (const key of Object.keys(fields)) {
    if (ERROR_FIELDS.has(key)) continue
    const value = attributeValue(fields[key])
    if (value !== undefined) (other ??= {})[key] = value
  }
  return other
}

/** The `exception` event attributes of `error`, as the SDK's recordException() writes them. */
export function errorAttributes(error: Error): Attributes {
  const attributes: Attributes = {}
  // Any code the error has, a number too (a driver's `11000`), as the SDK's `code.toString()`.
  const code = readSafely(() => {
    const value = (error as { code?: unknown }).code
    return (typeof value === 'string' || typeof value === 'number') && value
      ? String(value)
      : undefined
  })
  const type = code ?? readSafely(() => error.name)
  if (type !== undefined) attributes['exception.type'] = type
  const message = readSafely(() => error.message)
  if (message !== undefined) attributes['exception.message'] = message
  const stack = readSafely(() => error.stack)
  if (stack !== undefined) attributes['exception.stacktrace'] = stack
  return attributes
}

/** A string property read that cannot throw. */
export function readSafely(read: () => unknown): string | undefined {
  try {
    const value = read()
    return typeof value === 'string' ? value : undefined
  } catch {
    return undefined
  }
}
