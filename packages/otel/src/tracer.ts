// An OpenTracing Tracer that starts OTel spans through the OTel API: the user's SDK samples,
// processes and exports them, and the global propagator carries their context.
import {
  context as otelContext,
  INVALID_SPAN_CONTEXT,
  propagation,
  ROOT_CONTEXT,
  SpanKind,
  trace,
  type Attributes,
  type Baggage,
  type Context,
  type Link,
  type Span as OtelSpan,
  type TextMapGetter,
  type Tracer as OtelTracer,
  type TracerProvider,
} from '@opentelemetry/api'
import {
  FORMAT_HTTP_HEADERS,
  FORMAT_TEXT_MAP,
  REFERENCE_CHILD_OF,
  Tracer,
  type Reference,
  type SpanContext,
  type SpanOptions,
} from 'opentracing'
import { kindOf, mapTags, type Outcome } from './attributes.js'
import { ACTIVE_SPAN_KEY, BridgeSpan, BridgeSpanContext, hrTime } from './span.js'

/** Options of createOtelTracer(). */
export interface OtelTracerOptions {
  /** Also write the OpenTracing tag names (`http.method`, …) beside OTel's; default: false. */
  keepOpenTracingTags?: boolean
  /** Where spans go; default: OTel's global TracerProvider (registered before or after). */
  tracerProvider?: TracerProvider
}

const INSTRUMENTATION_SCOPE = '@tracehop'

/** The OpenTracing Tracer over the OTel API that createOtelTracer() returns. */
export class OpenTracingOnOtel extends Tracer {
  private readonly scopes = new Map<string, OtelTracer>()
  private readonly keepOpenTracingTags: boolean
  private readonly provider: TracerProvider

  constructor(options: OtelTracerOptions = {}) {
    super()
    this.keepOpenTracingTags = options.keepOpenTracingTags === true
    // The global provider's tracers follow whatever provider is registered, even later.
    this.provider = options.tracerProvider ?? trace
  }

  protected override _startSpan(name: string, fields: SpanOptions): BridgeSpan {
    const tags = fields.tags ?? {}
    const kind = kindOf(tags['span.kind'])
    const { parent, links } = parentAndLinks(fields.references)
    const attributes: Attributes = {}
    const outcome = newOutcome()
    mapTags(tags, kind, attributes, outcome, this.keepOpenTracingTags)
    const otelSpan = this.scope(tags.component).startSpan(
      name,
      {
        kind,
        attributes,
        links,
        ...(fields.startTime === undefined ? {} : { startTime: hrTime(fields.startTime) }),
      },
      parent === undefined ? ROOT_CONTEXT : parentContext(parent, kind),
    )
    const settings = {
      tracer: this,
      kind,
      keepOpenTracingTags: this.keepOpenTracingTags,
      foreign: false,
    }
    const baggage = parent === undefined ? undefined : inheritedBaggage(parent)
    return new BridgeSpan(otelSpan, baggage, outcome, settings)
  }

  protected override _inject(spanContext: SpanContext, format: string, carrier: unknown): void {
    if (format !== FORMAT_HTTP_HEADERS && format !== FORMAT_TEXT_MAP) return
    if (!(spanContext instanceof BridgeSpanContext) || carrier === null) return
    if (typeof carrier !== 'object') return
    propagation.inject(contextOf(spanContext), carrier)
  }

  protected override _extract(format: string, carrier: unknown): BridgeSpanContext | null {
    if (format !== FORMAT_HTTP_HEADERS && format !== FORMAT_TEXT_MAP) return null
    if (carrier === null || typeof carrier !== 'object') return null
    const extracted = propagation.extract(ROOT_CONTEXT, carrier, caseInsensitive)
    const spanContext = trace.getSpanContext(extracted)
    const baggage = propagation.getBaggage(extracted)
    if (spanContext === undefined && baggage === undefined) return null
    return new BridgeSpanContext(spanContext ?? INVALID_SPAN_CONTEXT, baggage)
  }

  /** Wraps an OTel span tracehop did not start, so it can parent tracehop's spans. */
  wrap(otelSpan: OtelSpan, baggage: Baggage | undefined): BridgeSpan {
    const settings = {
      tracer: this,
      kind: SpanKind.INTERNAL,
      keepOpenTracingTags: false,
      foreign: true,
    }
    return new BridgeSpan(otelSpan, baggage, newOutcome(), settings)
  }

  // One OTel tracer (instrumentation scope) per OpenTracing component: `@tracehop/express`, …
  private scope(component: unknown): OtelTracer {
    const key = typeof component === 'string' && component !== '' ? component : 'otel'
    let tracer = this.scopes.get(key)
    if (tracer === undefined) {
      tracer = this.provider.getTracer(`${INSTRUMENTATION_SCOPE}/${key}`)
      this.scopes.set(key, tracer)
    }
    return tracer
  }
}

function newOutcome(): Outcome {
  return { failed: false, statusCode: undefined, errorType: undefined, errorMessage: undefined }
}

// A child's baggage is its parent's; when the parent is the active span, OTel code may have added
// to it in the active context, and that travels on too.
function inheritedBaggage(parent: BridgeSpanContext): Baggage | undefined {
  const active = otelContext.active()
  const span = active.getValue(ACTIVE_SPAN_KEY)
  if (span instanceof BridgeSpan && span.spanContext === parent) {
    return propagation.getBaggage(active) ?? parent.baggage
  }
  return parent.baggage
}

/**
 * Where a span continuing `parent` starts. A server span whose caller's context an OpenTelemetry
 * HTTP instrumentation already continued (its own SERVER span, active, in the same trace) starts
 * under that span: one tree, not two sibling server spans.
 */
function parentContext(parent: BridgeSpanContext, kind: SpanKind): Context {
  if (kind === SpanKind.SERVER && parent.otel.isRemote === true) {
    const active = trace.getSpan(otelContext.active())
    if (
      active !== undefined &&
      (active as { kind?: unknown }).kind === SpanKind.SERVER &&
      active.spanContext().traceId === parent.otel.traceId
    ) {
      return withBaggage(trace.setSpan(ROOT_CONTEXT, active), parent.baggage)
    }
  }
  return contextOf(parent)
}

/** The OTel context carrying a span context and its baggage, to parent a span or inject. */
export function contextOf(spanContext: BridgeSpanContext): Context {
  return withBaggage(trace.setSpanContext(ROOT_CONTEXT, spanContext.otel), spanContext.baggage)
}

function withBaggage(context: Context, baggage: Baggage | undefined): Context {
  return baggage === undefined ? context : propagation.setBaggage(context, baggage)
}

// The first childOf reference is the parent (else the first followsFrom); the others are links.
function parentAndLinks(references: Reference[] | undefined): {
  parent: BridgeSpanContext | undefined
  links: Link[]
} {
  const links: Link[] = []
  if (references === undefined || references.length === 0) return { parent: undefined, links }
  const contexts = references.map((reference) => reference.referencedContext())
  let parentAt = references.findIndex((reference) => reference.type() === REFERENCE_CHILD_OF)
  if (parentAt === -1) parentAt = 0
  let parent: BridgeSpanContext | undefined
  contexts.forEach((candidate, index) => {
    if (!(candidate instanceof BridgeSpanContext)) return
    if (index === parentAt) parent = candidate
    else links.push({ context: candidate.otel })
  })
  return { parent, links }
}

// Header names arrive in any case from some carriers; the propagators ask in lower case.
const caseInsensitive: TextMapGetter<object> = {
  keys: (carrier) => Object.keys(carrier),
  get: (carrier, key) => {
    const record = carrier as Record<string, unknown>
    const value = record[key] ?? record[key.toLowerCase()]
    if (typeof value === 'string') return value
    if (Array.isArray(value))
      return value.filter((item): item is string => typeof item === 'string')
    return undefined
  },
}
