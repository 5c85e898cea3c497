// Decoding what an OTLP/HTTP (JSON) exporter sends to `/v1/traces`, and a receiver that does it.
import { setTimeout as sleep } from 'node:timers/promises'
import { gunzipSync } from 'node:zlib'
import { listen, type RunningServer } from './net.js'

type OtlpAttributes = Array<{
  key: string
  value: {
    stringValue?: string
    boolValue?: boolean
    intValue?: string | number
    doubleValue?: number
  }
}>

/** A span of an OTLP/JSON export request. */
export interface OtlpSpan {
  traceId: string
  spanId: string
  parentSpanId?: string
  name: string
  /** OTLP's SpanKind: 1 internal, 2 server, 3 client, 4 producer, 5 consumer. */
  kind?: number
  attributes?: OtlpAttributes
  events?: Array<{ name: string; attributes?: OtlpAttributes }>
  status?: { code?: number; message?: string }
}

/** An OTLP span with the `service.name` of its resource. */
export interface ReceivedSpan extends OtlpSpan {
  service: string
  /** The instrumentation scope's name (`@tracehop/express`, …). */
  scope: string
}

/** The spans of one OTLP/JSON export request body. */
export function decodeOtlp(body: string): ReceivedSpan[] {
  const payload = JSON.parse(body) as {
    resourceSpans?: Array<{
      resource?: { attributes?: OtlpAttributes }
      scopeSpans?: Array<{ scope?: { name?: string }; spans?: OtlpSpan[] }>
    }>
  }
  return (payload.resourceSpans ?? []).flatMap((resourceSpans) => {
    const name = attributesOf(resourceSpans.resource?.attributes)['service.name']
    const service = typeof name === 'string' ? name : '?'
    return (resourceSpans.scopeSpans ?? []).flatMap((scope) =>
      (scope.spans ?? []).map((span) => ({ ...span, service, scope: scope.scope?.name ?? '' })),
    )
  })
}

/** OTLP attributes as a plain object of values. */
export function attributesOf(attributes: OtlpAttributes | undefined): Record<string, unknown> {
  return Object.fromEntries(
    (attributes ?? []).map(({ key, value }) => [
      key,
      value.stringValue ??
        value.boolValue ??
        (value.intValue === undefined ? value.doubleValue : Number(value.intValue)),
    ]),
  )
}

/** One string attribute of a span. */
export function attribute(span: OtlpSpan, key: string): string | undefined {
  const value = attributesOf(span.attributes)[key]
  return typeof value === 'string' ? value : undefined
}

/** A loopback OTLP/HTTP receiver, and what it has received so far. */
export interface OtlpReceiver extends RunningServer {
  /** Every span of every export it accepted, in arrival order. */
  spans: ReceivedSpan[]
  /** How many export requests it has answered. */
  exports(): number
}

/**
 * Starts an OTLP/HTTP (JSON) receiver on 127.0.0.1 that decodes each export as it arrives. It
 * answers after `delayMs` (a backend under load) with `status` (200 by default; spans of an
 * export it refuses are not kept).
 */
export async function startOtlpReceiver(
  options: { status?: number; delayMs?: number } = {},
): Promise<OtlpReceiver> {
  const { status = 200, delayMs = 0 } = options
  const spans: ReceivedSpan[] = []
  let answered = 0
  const server = await listen((req, res) => {
    const chunks: Buffer[] = []
    req.on('data', (chunk: Buffer) => chunks.push(chunk))
    req.on('end', () => {
      void (async () => {
        if (delayMs > 0) await sleep(delayMs)
        let body = Buffer.concat(chunks)
        if (req.headers['content-encoding'] === 'gzip') body = gunzipSync(body)
        if (status === 200 && req.url === '/v1/traces') spans.push(...decodeOtlp(body.toString()))
        answered++
        res.writeHead(status, { 'content-type': 'application/json' }).end('{}')
      })()
    })
  })
  return { ...server, spans, exports: () => answered }
}
