// The request headers a traced browser call carries, for a cross-origin backend's CORS policy: a
// preflight that does not allow them makes the browser refuse the call outright.
import { FORMAT_HTTP_HEADERS, globalTracer, type Tracer } from 'opentracing'

/**
 * The trace headers of the common formats (W3C trace context and baggage, B3 single and multi,
 * Jaeger, OpenTracing's `ot-tracer-*`, Datadog, AWS X-Ray, Instana): what `traceHeaders()`
 * answers when the tracer writes nothing it can see.
 */
export const TRACE_HEADERS: readonly string[] = /* @__PURE__ */ Object.freeze([
  'traceparent',
  'tracestate',
  'baggage',
  'b3',
  'x-b3-traceid',
  'x-b3-spanid',
  'x-b3-parentspanid',
  'x-b3-sampled',
  'x-b3-flags',
  'uber-trace-id',
  'ot-tracer-traceid',
  'ot-tracer-spanid',
  'ot-tracer-sampled',
  'x-datadog-trace-id',
  'x-datadog-parent-id',
  'x-datadog-sampling-priority',
  'x-datadog-origin',
  'x-datadog-tags',
  'x-amzn-trace-id',
  'x-instana-t',
  'x-instana-s',
  'x-instana-l',
])

/** Options of `traceHeaders()`. */
export interface TraceHeadersOptions {
  /** The tracer whose headers to list; default: `globalTracer()` when called. */
  tracer?: Tracer
  /**
   * Baggage keys the pages set, for formats with one header per key (`uberctx-<key>`,
   * `ot-baggage-<key>`), which CORS cannot allow by prefix; default: none.
   */
  baggageKeys?: readonly string[]
}

/**
 * The names of the request headers `tracer` writes into an outgoing call (found by injecting a
 * sample context it extracted, with the rest of each header family it uses), lower-cased, for
 * `Access-Control-Allow-Headers`: with the `cors`
 * package `cors({ allowedHeaders: ['content-type', ...traceHeaders()] })`, with `@fastify/cors`
 * the same `allowedHeaders`. Default: the global tracer's headers, or `TRACE_HEADERS` (with the
 * per-key baggage headers) when the tracer writes none or throws.
 */
export function traceHeaders(options: TraceHeadersOptions = {}): string[] {
  const keys = options.baggageKeys ?? []
  try {
    const written = injectedNames(options.tracer ?? globalTracer(), keys)
    if (written.length > 0) return written
  } catch {
    // A tracer that cannot tell: the common formats are allowed instead.
  }
  return unique([
    ...TRACE_HEADERS,
    ...keys.flatMap((key) => [`uberctx-${key}`, `ot-baggage-${key}`].map(lowerCase)),
  ])
}

function lowerCase(name: string): string {
  return name.toLowerCase()
}

// Header families a tracer writes in part, depending on the span: a B3 child's parent id, the
// tags of a trace Datadog started itself. The sample context shows one span's part; a call may
// send the rest of the family, which the preflight must allow too.
const FAMILIES = ['x-b3-', 'ot-tracer-', 'x-datadog-', 'x-instana-']

// A baggage key that makes a tracer write its baggage header when the caller named none; the
// per-key headers it yields name no real key, so they are left out.
const PROBE_KEY = 'tracehop-cors-probe'
const TRACE_ID = '4bf92f3577b34da6a3ce929d0e0e4736'
const SPAN_ID = '00f067aa0ba902b7'

function injectedNames(tracer: Tracer, keys: readonly string[]): string[] {
  const baggageKeys = keys.length > 0 ? keys : [PROBE_KEY]
  const context = tracer.extract(FORMAT_HTTP_HEADERS, sampleHeaders(baggageKeys))
  if (context === null) return []
  const carrier: Record<string, unknown> = {}
  tracer.inject(context, FORMAT_HTTP_HEADERS, carrier)
  const names = Object.keys(carrier)
    .map(lowerCase)
    .filter((name) => !name.endsWith(`-${PROBE_KEY}`))
  const families = FAMILIES.filter((prefix) => names.some((name) => name.startsWith(prefix)))
  const relatives = TRACE_HEADERS.filter((name) =>
    families.some((prefix) => name.startsWith(prefix)),
  )
  return unique([...names, ...relatives])
}

/** One sampled context in every format of TRACE_HEADERS, so any of those tracers can read it. */
function sampleHeaders(baggageKeys: readonly string[]): Record<string, string> {
  const headers: Record<string, string> = {
    traceparent: `00-${TRACE_ID}-${SPAN_ID}-01`,
    tracestate: 'tracehop=1',
    baggage: baggageKeys.map((key) => `${key}=1`).join(','),
    b3: `${TRACE_ID}-${SPAN_ID}-1`,
    'x-b3-traceid': TRACE_ID,
    'x-b3-spanid': SPAN_ID,
    'x-b3-sampled': '1',
    'uber-trace-id': `${TRACE_ID}:${SPAN_ID}:0:1`,
    'ot-tracer-traceid': SPAN_ID,
    'ot-tracer-spanid': SPAN_ID,
    'ot-tracer-sampled': 'true',
    'x-datadog-trace-id': '1234567890123456789',
    'x-datadog-parent-id': '987654321987654321',
    'x-datadog-sampling-priority': '1',
    'x-amzn-trace-id': `Root=1-${TRACE_ID.slice(0, 8)}-${TRACE_ID.slice(8)};Parent=${SPAN_ID};Sampled=1`,
    'x-instana-t': TRACE_ID,
    'x-instana-s': SPAN_ID,
    'x-instana-l': '1',
  }
  for (const key of baggageKeys) {
    headers[`uberctx-${key}`] = '1'
    headers[`ot-baggage-${key}`] = '1'
  }
  return headers
}

function unique(names: string[]): string[] {
  return [...new Set(names)]
}
