// What the OpenTelemetry SDK exported (in memory or as OTLP JSON), as VendorSpans.
import { SpanStatusCode } from '@opentelemetry/api'
import type { ReadableSpan } from '@opentelemetry/sdk-trace-base'
import { attributesOf, type ReceivedSpan } from '../../support/otlp.js'
import type { VendorSpan } from './expectations.js'

const ERROR_STATUS: number = SpanStatusCode.ERROR

/** A span the SDK kept in memory. */
export function fromReadable(span: ReadableSpan): VendorSpan {
  const exception = span.events.find((event) => event.name === 'exception')
  return {
    traceId: span.spanContext().traceId,
    spanId: span.spanContext().spanId,
    parentId: span.parentSpanContext?.spanId,
    name: span.name,
    service: String(span.resource.attributes['service.name']),
    tags: { ...span.attributes, error: span.status.code === SpanStatusCode.ERROR },
    errorMessage: exception?.attributes?.['exception.message'] as string | undefined,
  }
}

/** A span received as OTLP JSON. */
export function fromOtlp(span: ReceivedSpan): VendorSpan {
  const exception = span.events?.find((event) => event.name === 'exception')
  return {
    traceId: span.traceId,
    spanId: span.spanId,
    parentId: span.parentSpanId || undefined,
    name: span.name,
    service: span.service,
    tags: { ...attributesOf(span.attributes), error: span.status?.code === ERROR_STATUS },
    errorMessage: attributesOf(exception?.attributes)['exception.message'] as string | undefined,
  }
}
