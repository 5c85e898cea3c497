// An OpenTracing Tracer that starts OTel spans through the OTel API: the user's SDK samples,
// processes and exports them, and the global propagator carries their context.
import {
  context as otelContext,
  INVALID_SPAN_CONTEXT,
  isSpanContextValid,
  propagation,
  ROOT_CONTEXT,
  SpanKind,
  trace,
  type Attributes,
  type Baggage,
  type Link,
  type Span as OtelSpan,
  type SpanOptions as OtelSpanOptions,
  type Tracer as OtelTracer,
  type TracerProvider,
} from '@opentelemetry/api'
import {
  FORMAT_HTTP_HEADERS,
  FORMAT_TEXT_MAP,
  Reference,
  REFERENCE_CHILD_OF,
  Span as OpenTracingSpan,
  Tracer,
  type SpanContext,
  type SpanOptions,
} from 'opentracing'
import { REFUSED_CALLER } from '@tracehop/core/adapter'
import { kindOf, mapTags, type Outcome } from './attributes.js'
import { inheritedBaggage, withEntriesOf } from './baggage.js'
import { extractFrom } from './carriers.js'
import { parentContext } from './edge.js'
import { BridgeSpan, BridgeSpanContext, hrTime, type BridgeSpanSettings } from './span.js'

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
  // What every span of one kind shares, made once (indexed by SpanKind).
  private readonly settingsByKind: readonly BridgeSpanSettings[]
  private readonly foreignSettings: BridgeSpanSettings

  constructor(options: OtelTracerOptions = {}) {
    super()
    const keepOpenTracingTags = options.keepOpenTracingTags === true
    this.keepOpenTracingTags = keepOpenTracingTags
    // The global provider's tracers follow whatever provider is registered, even later.
    this.provider = options.tracerProvider ?? trace
    const kinds = [
      SpanKind.INTERNAL,
      SpanKind.SERVER,
      SpanKind.CLIENT,
      SpanKind.PRODUCER,
      SpanKind.CONSUMER,
    ]
    this.settingsByKind = kinds.map((kind) => ({
      tracer: this,
      kind,
      keepOpenTracingTags,
      foreign: false,
    }))
    this.foreignSettings = {
      tracer: this,
      kind: SpanKind.INTERNAL,
      keepOpenTracingTags: false,
      foreign: true,
    }
  }

  // opentracing's startSpan turns `childOf` into a reference by deleting it from the caller's
  // options, which changes them and leaves them slow to read: the parent is read as given instead.
  override startSpan(name: string, options: SpanOptions = {}): BridgeSpan {
    const { childOf, references } = options
    const tags = options.tags ?? {}
    // The usual call, one parent and no other references: no Reference is made for it.
    if (references === undefined || references.length === 0) {
      const parent = childOf === undefined ? undefined : bridgeContextOf(childOf)
      const fromCore = options as RefusedCallerOption
      const refusedCaller = fromCore[REFUSED_CALLER]
      // Core's spans fail by its error tag (its isError rules) alone, never by their status.
      const decided = refusedCaller !== undefined
      return this.start(
        name,
        tags,
        options.startTime,
        parent,
        undefined,
        refusedCaller === true,
        decided,
      )
    }
    // As opentracing orders them: `childOf` after the references.
    const all = childOf ? [...references, refer(childOf)] : references
    return this.startReferencing(name, tags, options.startTime, all)
  }

  protected override _startSpan(name: string, fields: SpanOptions): BridgeSpan {
    return this.startReferencing(name, fields.tags ?? {}, fields.startTime, fields.references)
  }

  private startReferencing(
    name: string,
    tags: Readonly<Record<string, unknown>>,
    startTime: number | undefined,
    references: Reference[] | undefined,
  ): BridgeSpan {
    if (references === undefined || references.length === 0) {
      return this.start(name, tags, startTime, undefined, undefined)
    }
    const links: Link[] = []
    const { parent, others } = parentOf(references, links)
    const span = this.start(name, tags, startTime, parent, links.length > 0 ? links : undefined)
    // The union of the references' baggage, as OpenTracing has it: each key's value from the
    // parent, else from the earliest reference that has it. Inherited, not set on the span: its
    // own setBaggageItem() keys stay none.
    const context = span.spanContext
    for (const other of others) context.baggage = withEntriesOf(other.baggage, context.baggage)
    return span
  }

  private start(
    name: string,
    tags: Readonly<Record<string, unknown>>,
    startTime: number | undefined,
    parent: BridgeSpanContext | undefined,
    links: Link[] | undefined,
    refusedCaller = false,
    decidedByErrorTag = false,
  ): BridgeSpan {
    const kind = kindOf(tags['span.kind'])
    const attributes: Attributes = {}
    const outcome = newOutcome(decidedByErrorTag)
    mapTags(tags, kind, attributes, outcome, this.keepOpenTracingTags)
    const options: OtelSpanOptions = { kind, attributes }
    if (startTime !== undefined) options.startTime = hrTime(startTime)
    if (links !== undefined) options.links = links
    const active = otelContext.active()
    const base = parentContext(parent, kind, refusedCaller, active)
    const otelSpan = this.scope(tags.component).startSpan(name, options, base)
    // A root takes the baggage OTel code set where it starts, but for a request's span: there,
    // OTel's context holds what an instrumentation read from a caller tracehop may not trust.
    const baggage =
      parent !== undefined
        ? inheritedBaggage(parent, active)
        : kind === SpanKind.SERVER
          ? undefined
          : propagation.getBaggage(active)
    return new BridgeSpan(
      otelSpan,
      baggage,
      outcome,
      this.settingsByKind[kind] as BridgeSpanSettings,
      base,
    )
  }

  protected override _inject(spanContext: SpanContext, format: string, carrier: unknown): void {
    if (format !== FORMAT_HTTP_HEADERS && format !== FORMAT_TEXT_MAP) return
    if (!(spanContext instanceof BridgeSpanContext) || carrier === null) return
    if (typeof carrier !== 'object') return
    propagation.inject(spanContext.toContext(), carrier)
  }

  protected override _extract(format: string, carrier: unknown): BridgeSpanContext | null {
    if (format !== FORMAT_HTTP_HEADERS && format !== FORMAT_TEXT_MAP) return null
    if (carrier === null || typeof carrier !== 'object') return null
    const extracted = extractFrom(format, carrier)
    const spanContext = trace.getSpanContext(extracted)
    const baggage = propagation.getBaggage(extracted)
    if (spanContext === undefined && baggage === undefined) return null
    return new BridgeSpanContext(spanContext ?? INVALID_SPAN_CONTEXT, baggage, extracted, true)
  }

  /**
   * Wraps an OTel span tracehop did not start, to parent tracehop's spans. Its context continues
   * `base`, that of the tracehop span it runs in (default: the root), not the context it was
   * found in: that one may hold what a caller tracehop does not trust sent, and tracehop's own
   * span, which its children must neither inherit nor keep alive.
   */
  wrap(otelSpan: OtelSpan, baggage: Baggage | undefined, base = ROOT_CONTEXT): BridgeSpan {
    return new BridgeSpan(otelSpan, baggage, newOutcome(), this.foreignSettings, base)
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

function newOutcome(decidedByErrorTag = false): Outcome {
  return {
    failed: false,
    decidedByErrorTag,
    statusCode: undefined,
    errorType: undefined,
    errorMessage: undefined,
    taggedErrorType: undefined,
    taggedErrorMessage: undefined,
  }
}

// What a `childOf` given as a span or a span context parents with: a span context of this bridge.
function bridgeContextOf(parent: OpenTracingSpan | SpanContext): BridgeSpanContext | undefined {
  const context = parent instanceof OpenTracingSpan ? parent.context() : parent
  return context instanceof BridgeSpanContext ? context : undefined
}

// What core says of the spans it starts (REFUSED_CALLER): whether it trusted a server span's caller.
interface RefusedCallerOption {
  [REFUSED_CALLER]?: unknown
}

function refer(parent: OpenTracingSpan | SpanContext): Reference {
  return new Reference(REFERENCE_CHILD_OF, parent)
}

// The parent is the first childOf reference to a span of this bridge, else the first followsFrom
// one (another tracer's context is neither parent nor link, whatever its place); the rest, links.
// A context that holds baggage only (a carrier's) has no span to parent or link with: it parents
// a root when no reference has a span. Every usable reference but the parent is among `others`.
function parentOf(references: Reference[], links: Link[]): ChosenParent {
  const usable: Referenced[] = []
  for (const reference of references) {
    const context = reference.referencedContext()
    if (context instanceof BridgeSpanContext) usable.push({ context, reference })
  }
  const withSpan = usable.filter(({ context }) => isSpanContextValid(context.otel))
  const chosen = firstOf(withSpan) ?? firstOf(usable)
  for (const referenced of withSpan) {
    if (referenced === chosen) continue
    const { context, reference } = referenced
    // As OpenTelemetry's OpenTracing compatibility names the kind of reference a link was.
    links.push({
      context: context.otel,
      attributes: { 'opentracing.ref_type': refType(reference) },
    })
  }
  const others = usable.filter((referenced) => referenced !== chosen)
  return { parent: chosen?.context, others: others.map(({ context }) => context) }
}

interface Referenced {
  context: BridgeSpanContext
  reference: Reference
}

interface ChosenParent {
  parent: BridgeSpanContext | undefined
  /** The other references' contexts, in their order: their baggage goes on too. */
  others: BridgeSpanContext[]
}

// The first childOf reference, else the first of any kind.
function firstOf(referenced: Referenced[]): Referenced | undefined {
  return (
    referenced.find(({ reference }) => reference.type() === REFERENCE_CHILD_OF) ?? referenced[0]
  )
}

function refType(reference: Reference): string {
  return reference.type() === REFERENCE_CHILD_OF ? 'child_of' : 'follows_from'
}
