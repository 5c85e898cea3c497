/** A parsed W3C `traceparent`. */
export interface TraceParent {
  traceId: string
  spanId: string
  sampled: boolean
}

const TRACEPARENT = /^([0-9a-f]{2})-([0-9a-f]{32})-([0-9a-f]{16})-([0-9a-f]{2})(-.*)?$/
const ZERO_TRACE = '0'.repeat(32)
const ZERO_SPAN = '0'.repeat(16)
const MAX_TRACEPARENT = 512
/** W3C baggage limits: members and bytes of the whole header. */
export const BAGGAGE_LIMITS = { members: 180, length: 8192 } as const

/** Parses `traceparent` per W3C Trace Context (level 1); null when it is not valid. */
export function parseTraceParent(value: string): TraceParent | null {
  if (value.length > MAX_TRACEPARENT) return null
  const match = TRACEPARENT.exec(value.trim())
  if (match === null) return null
  const [, version, traceId, spanId, flags, rest] = match as unknown as [
    string,
    string,
    string,
    string,
    string,
    string | undefined,
  ]
  if (version === 'ff') return null
  if (version === '00' && rest !== undefined) return null
  if (traceId === ZERO_TRACE || spanId === ZERO_SPAN) return null
  return { traceId, spanId, sampled: (parseInt(flags, 16) & 1) === 1 }
}

/** Formats a `traceparent` header value. */
export function formatTraceParent(parent: TraceParent): string {
  return `00-${parent.traceId}-${parent.spanId}-${parent.sampled ? '01' : '00'}`
}

/** Parses a W3C `baggage` header; invalid members are skipped, oversized headers yield nothing. */
export function parseBaggage(value: string): Map<string, string> {
  const baggage = new Map<string, string>()
  if (value.length > BAGGAGE_LIMITS.length) return baggage
  for (const member of value.split(',')) {
    if (baggage.size >= BAGGAGE_LIMITS.members) break
    const pair = member.split(';', 1)[0] ?? ''
    const eq = pair.indexOf('=')
    if (eq <= 0) continue
    const key = pair.slice(0, eq).trim()
    const raw = pair.slice(eq + 1).trim()
    if (key === '' || !/^[!#$%&'*+\-.^_`|~0-9A-Za-z]+$/.test(key)) continue
    try {
      baggage.set(key, decodeURIComponent(raw))
    } catch {
      // A member with a broken percent-escape is dropped, the rest is kept.
    }
  }
  return baggage
}

/** Formats baggage as a W3C `baggage` header value (values percent-encoded). */
export function formatBaggage(baggage: ReadonlyMap<string, string>): string {
  const members: string[] = []
  for (const [key, value] of baggage) members.push(`${key}=${encodeURIComponent(value)}`)
  return members.join(',')
}
