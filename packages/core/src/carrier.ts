// What crosses the wire: incoming headers into an extract carrier, checks on what an outbound
// header can carry, and the checks an extracted context must pass to parent a span.
import { SpanContext } from 'opentracing'
import { TRACE_HEADERS } from './cors.js'
import type { HeaderSource } from './types.js'

// Outbound headers are held to it too: named apart, so a client-only (browser) bundle needs none
// of the other limits.
const MAX_VALUE_LENGTH = 8192

/** Limits on what reaches a tracer's extract; values over a limit are dropped, not truncated. */
export const CARRIER_LIMITS = {
  /** Largest single header value, in characters. */
  valueLength: MAX_VALUE_LENGTH,
  /** Most headers copied into one carrier (trace context headers pass beyond it). */
  headerCount: 128,
  /** Most characters of names and values in one carrier (trace context headers pass beyond). */
  totalLength: 32_768,
  /** Most vendor baggage headers (`uberctx-*`, `ot-baggage-*`, …) in one carrier. */
  baggageHeaders: 64,
  /** Most characters of all baggage headers together (the W3C baggage limit). */
  baggageLength: 8192,
} as const

// Left out of every carrier: names that could reach Object.prototype, credentials no tracer
// needs to see, and standard HTTP request headers, which no propagation format uses. Most of a
// request's headers are standard ones: one lookup skips each before anything else is done for it.
const LEFT_OUT = new Set([
  '__proto__',
  'constructor',
  'prototype',
  'authorization',
  'proxy-authorization',
  'cookie',
  'set-cookie',
  'accept',
  'accept-charset',
  'accept-encoding',
  'accept-language',
  'access-control-request-headers',
  'access-control-request-method',
  'cache-control',
  'connection',
  'content-encoding',
  'content-language',
  'content-length',
  'content-type',
  'date',
  'dnt',
  'expect',
  'forwarded',
  'from',
  'host',
  'if-match',
  'if-modified-since',
  'if-none-match',
  'if-range',
  'if-unmodified-since',
  'keep-alive',
  'max-forwards',
  'origin',
  'pragma',
  'priority',
  'range',
  'referer',
  'sec-ch-ua',
  'sec-ch-ua-mobile',
  'sec-ch-ua-platform',
  'sec-fetch-dest',
  'sec-fetch-mode',
  'sec-fetch-site',
  'sec-fetch-user',
  'te',
  'upgrade',
  'upgrade-insecure-requests',
  'user-agent',
  'via',
  'x-forwarded-for',
  'x-forwarded-host',
  'x-forwarded-port',
  'x-forwarded-proto',
  'x-real-ip',
  'x-requested-with',
])

const BAGGAGE_PREFIXES = ['uberctx-', 'ot-baggage-', 'x-instana-b-', 'baggage-']

/**
 * Copies headers into a fresh plain object for a tracer's extract: lower-case names, string
 * values (repeated values joined with ", ", a repeated traceparent dropped), size-capped;
 * credentials, prototype names and standard HTTP headers (`accept`, `host`, …) left out.
 */
export function toCarrier(headers: HeaderSource): Record<string, string> {
  const builder = new CarrierBuilder()
  if (headers === null || typeof headers !== 'object') return builder.carrier
  if (typeof (headers as { forEach?: unknown }).forEach === 'function' && !Array.isArray(headers)) {
    ;(headers as { forEach(cb: (value: unknown, key: unknown) => void): void }).forEach(
      (value, key) => builder.add(key, value),
    )
  } else if (Symbol.iterator in headers) {
    for (const pair of headers as Iterable<unknown>) {
      if (Array.isArray(pair)) builder.add(pair[0], pair[1])
    }
  } else {
    const record = headers as Record<string, unknown>
    // Node's header names are lower-case already: most are skipped before their value is read.
    for (const key of Object.keys(record)) if (!LEFT_OUT.has(key)) builder.add(key, record[key])
  }
  const carrier = builder.carrier
  // Two traceparent lines arrive joined ("a, b"). W3C Trace Context wants a new trace then; a
  // tracer would read the first, or take a future version's ", b" for extra fields.
  if (carrier.traceparent?.includes(',') === true) delete carrier.traceparent
  return carrier
}

class CarrierBuilder {
  readonly carrier: Record<string, string> = {}
  private count = 0
  private total = 0
  private baggageCount = 0
  private baggageTotal = 0

  add(rawKey: unknown, rawValue: unknown): void {
    if (typeof rawKey !== 'string') return
    let value = headerValue(rawValue)
    if (value === undefined || value.length > CARRIER_LIMITS.valueLength) return
    const key = rawKey.toLowerCase()
    // HTTP/2 pseudo-headers (`:path`, `:authority`, …) are the request line, not trace context.
    if (LEFT_OUT.has(key) || key.startsWith(':')) return
    const size = key.length + value.length
    const full =
      this.count >= CARRIER_LIMITS.headerCount || this.total + size > CARRIER_LIMITS.totalLength
    // The trace context is never crowded out of a carrier by other headers (a gateway's many): a
    // few names, each within valueLength, pass the count and total limits. Baggage keeps its own.
    if (full && (key === 'baggage' || !TRACE_HEADERS.includes(key))) return
    if (isBaggage(key)) {
      if (this.baggageCount >= CARRIER_LIMITS.baggageHeaders) return
      if (this.baggageTotal + value.length > CARRIER_LIMITS.baggageLength) return
      this.baggageCount++
      this.baggageTotal += value.length
    }
    this.total += size
    value = padB3Id(key, value)
    const existing = Object.prototype.hasOwnProperty.call(this.carrier, key)
      ? this.carrier[key]
      : undefined
    if (existing === undefined) {
      this.count++
      this.carrier[key] = value
    } else {
      this.carrier[key] = `${existing}, ${value}`
    }
  }
}

function headerValue(value: unknown): string | undefined {
  if (typeof value === 'string') return value
  if (typeof value === 'number') return String(value)
  if (Array.isArray(value)) {
    const parts = value.filter((part): part is string => typeof part === 'string')
    return parts.length === 0 ? undefined : parts.join(', ')
  }
  return undefined
}

function isBaggage(key: string): boolean {
  if (key === 'baggage') return true
  for (const prefix of BAGGAGE_PREFIXES) if (key.startsWith(prefix)) return true
  return false
}

const B3_ID_LENGTHS: Readonly<Record<string, readonly number[]>> = {
  'x-b3-traceid': [16, 32],
  'x-b3-spanid': [16],
  'x-b3-parentspanid': [16],
}
const HEX = /^[0-9a-fA-F]{1,32}$/

/**
 * A B3 id left-padded with zeros to its fixed width. jaeger-client writes ids with their leading
 * zeros stripped, which B3 readers such as OpenTelemetry's reject: the trace would split there.
 */
export function padB3Id(name: string, value: string): string {
  if (!name.startsWith('x-b3-')) return value
  const widths = B3_ID_LENGTHS[name]
  if (widths === undefined || !HEX.test(value)) return value
  const width = widths.find((candidate) => value.length <= candidate)
  return width === undefined ? value : value.padStart(width, '0')
}

const MAX_TRACE_ID = 32
const HEX_ID = /^[0-9a-fA-F]+$/
const ZERO_ID = /^0+$/

/**
 * The extracted context when it can parent a span; undefined for null, the no-op tracer's empty
 * context, jaeger's invalid context, or an id some tracers would turn into trace id 0.
 */
export function usableContext(context: unknown): SpanContext | undefined {
  if (context === null || typeof context !== 'object') return undefined
  try {
    if (Object.getPrototypeOf(context) === SpanContext.prototype) return undefined
    if ((context as { isValid?: unknown }).isValid === false) return undefined
    const toTraceId = (context as { toTraceId?: unknown }).toTraceId
    if (typeof toTraceId !== 'function') return context as SpanContext
    const traceId: unknown = toTraceId.call(context)
    if (typeof traceId !== 'string' || traceId === '') return context as SpanContext
    if (traceId.length > MAX_TRACE_ID || !HEX_ID.test(traceId) || ZERO_ID.test(traceId)) {
      return undefined
    }
    return context as SpanContext
  } catch {
    return undefined
  }
}

const HEADER_NAME = /^[!#$%&'*+\-.^_`|~0-9A-Za-z]+$/
const HEADER_VALUE = /^[\t\x20-\x7e\x80-\xff]*$/
const MAX_HEADER_NAME = 256

/** True for a valid HTTP header name (an RFC 9110 token) of at most 256 characters. */
export function isHeaderName(name: string): boolean {
  return name.length <= MAX_HEADER_NAME && HEADER_NAME.test(name)
}

/** True for a header value Node's HTTP client accepts, of at most `CARRIER_LIMITS.valueLength`. */
export function isHeaderValue(value: string): boolean {
  return value.length <= MAX_VALUE_LENGTH && HEADER_VALUE.test(value)
}
