// What the OpenTelemetry SDK exported (in memory, as OTLP JSON or as Zipkin v2 JSON), as
// VendorSpans. Spans of the OpenTracing shim keep OpenTracing's tags; spans of @tracehop/otel
// carry OTel's kinds and stable HTTP attributes, read back into the tags the scenario checks.
import { SpanKind, SpanStatusCode } from '@opentelemetry/api'
import { resourceFromAttributes } from '@opentelemetry/resources'
import {
  BasicTracerProvider,
  SimpleSpanProcessor,
  type ReadableSpan,
  type SpanExporter,
} from '@opentelemetry/sdk-trace-base'
import type { Tracer } from 'opentracing'
import { attributesOf, type ReceivedSpan } from '../../support/otlp.js'
import type { VendorSpan } from './expectations.js'
import { runScenario, type ScenarioResult, type ServiceName } from './scenario.js'

/**
 * Runs the vendor scenario with one OTel SDK provider per service (its own service.name, spans
 * to `exporter(service)`), the tracer of each built by `tracerOf(provider)`. Flushes every
 * provider, calls `beforeShutdown` (shutting down clears an in-memory exporter: read it there),
 * then shuts them down.
 */
export async function runOnOtelSdk(
  tracerOf: (provider: BasicTracerProvider) => Tracer,
  exporter: (service: ServiceName) => SpanExporter,
  beforeShutdown: () => void = () => undefined,
): Promise<ScenarioResult> {
  const providers: BasicTracerProvider[] = []
  const tracers = new Map<ServiceName, Tracer>()
  const result = await runScenario((service) => {
    let tracer = tracers.get(service)
    if (tracer === undefined) {
      const provider = new BasicTracerProvider({
        resource: resourceFromAttributes({ 'service.name': service }),
        spanProcessors: [new SimpleSpanProcessor(exporter(service))],
      })
      providers.push(provider)
      tracer = tracerOf(provider)
      tracers.set(service, tracer)
    }
    return tracer
  })
  for (const provider of providers) await provider.forceFlush()
  beforeShutdown()
  for (const provider of providers) await provider.shutdown()
  return result
}

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

const KIND_NAMES: Record<number, string> = {
  [SpanKind.SERVER]: 'server',
  [SpanKind.CLIENT]: 'client',
  [SpanKind.PRODUCER]: 'producer',
  [SpanKind.CONSUMER]: 'consumer',
}

// OTLP numbers kinds from 1 (internal); the API from 0.
const OTLP_KIND_OFFSET = 1

/** The OpenTracing tags a span of @tracehop/otel stands for: its kind, status and OTel names. */
function openTracingTags(
  kind: string | undefined,
  attributes: Record<string, unknown>,
  failed: boolean,
): Record<string, unknown> {
  const status = attributes['http.response.status_code']
  return {
    ...attributes,
    'span.kind': kind,
    'http.status_code': status === undefined ? undefined : Number(status),
    'http.url': attributes['url.full'] ?? attributes['url.path'],
    'http.aborted': attributes['http.aborted'] === true || attributes['http.aborted'] === 'true',
    error: failed,
  }
}

/** A span of @tracehop/otel the SDK kept in memory. */
export function fromBridgeReadable(span: ReadableSpan): VendorSpan {
  const failed = span.status.code === SpanStatusCode.ERROR
  return {
    ...fromReadable(span),
    tags: openTracingTags(KIND_NAMES[span.kind], { ...span.attributes }, failed),
  }
}

/** A span of @tracehop/otel received as OTLP JSON. */
export function fromBridgeOtlp(span: ReceivedSpan): VendorSpan {
  const failed = span.status?.code === ERROR_STATUS
  const kind = KIND_NAMES[(span.kind ?? OTLP_KIND_OFFSET) - OTLP_KIND_OFFSET]
  return { ...fromOtlp(span), tags: openTracingTags(kind, attributesOf(span.attributes), failed) }
}

/** A span as Zipkin v2 JSON carries it. */
export interface ZipkinSpan {
  traceId: string
  id: string
  parentId?: string
  name: string
  kind?: string
  localEndpoint?: { serviceName?: string }
  tags?: Record<string, string>
}

/** A span of @tracehop/otel received as Zipkin v2 JSON (every tag a string). */
export function fromZipkin(span: ZipkinSpan): VendorSpan {
  const tags = span.tags ?? {}
  const failed = tags['otel.status_code'] === 'ERROR'
  return {
    traceId: span.traceId,
    spanId: span.id,
    parentId: span.parentId,
    name: span.name,
    service: span.localEndpoint?.serviceName ?? '?',
    tags: openTracingTags(span.kind?.toLowerCase(), tags, failed),
    // The exporter writes the ERROR status's description, the exception's message, as `error`.
    errorMessage: failed ? tags.error : undefined,
  }
}
