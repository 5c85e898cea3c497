// Decoding what an OTLP/HTTP (JSON) exporter sends to `/v1/traces`.

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
  attributes?: OtlpAttributes
  events?: Array<{ name: string; attributes?: OtlpAttributes }>
  status?: { code?: number }
}

/** An OTLP span with the `service.name` of its resource. */
export interface ReceivedSpan extends OtlpSpan {
  service: string
}

/** The spans of one OTLP/JSON export request body. */
export function decodeOtlp(body: string): ReceivedSpan[] {
  const payload = JSON.parse(body) as {
    resourceSpans?: Array<{
      resource?: { attributes?: OtlpAttributes }
      scopeSpans?: Array<{ spans?: OtlpSpan[] }>
    }>
  }
  return (payload.resourceSpans ?? []).flatMap((resourceSpans) => {
    const name = attributesOf(resourceSpans.resource?.attributes)['service.name']
    const service = typeof name === 'string' ? name : '?'
    return (resourceSpans.scopeSpans ?? []).flatMap((scope) =>
      (scope.spans ?? []).map((span) => ({ ...span, service })),
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
