// A span's baggage as its children and calls inherit it: the parent's, or the active context's,
// where OTel code may have changed it, with what setBaggageItem() set on tracehop's spans.
import {
  createContextKey,
  propagation,
  trace,
  type Baggage,
  type BaggageEntry,
  type Context,
} from '@opentelemetry/api'
import { ACTIVE_SPAN_KEY, BridgeSpan, type BridgeSpanContext } from './span.js'

// Where the context a span runs in keeps the baggage it was entered with: OTel code's later
// baggage is told apart from it (see withKeysSetOn()).
export const ENTERED_BAGGAGE_KEY = createContextKey('tracehop entered baggage')

// A child's baggage is its parent's. When the parent is the active span (tracehop's, or OTel's
// wrapped), the active context's baggage is the current one, as OTel code may have added to it,
// changed or removed entries; entries set on the enclosing tracehop span with setBaggageItem()
// go on too, but for those OTel code removed or changed since that span was entered. `active`:
// OTel's active context.
export function inheritedBaggage(parent: BridgeSpanContext, active: Context): Baggage | undefined {
  // A context read from a carrier is no span's: it cannot be the active span's.
  if (parent.fromCarrier) return parent.baggage
  const enclosing = active.getValue(ACTIVE_SPAN_KEY)
  if (!(enclosing instanceof BridgeSpan)) return parent.baggage
  const own = enclosing.spanContext
  // Read only for a span that had baggage set on it: most never do.
  const entered =
    own.keysSet === undefined
      ? undefined
      : (active.getValue(ENTERED_BAGGAGE_KEY) as Baggage | undefined)
  if (parent === own) return withKeysSetOn(own, propagation.getBaggage(active), entered)
  const activeOtel = trace.getSpanContext(active)
  if (activeOtel !== undefined && parent.otel.spanId === activeOtel.spanId) {
    // What was set on the wrapper itself comes last: it is the nearer span. The wrapper's
    // baggage is the one its entries were set over, as it found it.
    const below = withKeysSetOn(own, parent.baggage, entered)
    return withKeysSetOn(parent, below, below)
  }
  return parent.baggage
}

/**
 * `baggage` with the entries set on `span` with setBaggageItem(), `entered` the baggage OTel's
 * context had when the span was entered. OTel code can neither see nor change those entries in
 * its context, only the baggage it was given: an entry it removed or changed since then goes as
 * it left it, and so does the absence of any baggage once it deleted it.
 */
function withKeysSetOn(
  span: BridgeSpanContext,
  baggage: Baggage | undefined,
  entered: Baggage | undefined,
): Baggage | undefined {
  const keys = span.keysSet
  const own = span.baggage
  if (keys === undefined || own === undefined || own === baggage) return baggage
  if (baggage === undefined && entered !== undefined) return undefined
  const untouched = baggage === entered
  let merged = baggage ?? propagation.createBaggage()
  for (const key of keys) {
    if (!untouched && !sameEntry(baggage?.getEntry(key), entered?.getEntry(key))) continue
    const entry = own.getEntry(key)
    if (entry !== undefined) merged = merged.setEntry(key, entry)
  }
  return merged
}

// Entries are read as copies (getEntry()), so compared by what they hold.
function sameEntry(a: BaggageEntry | undefined, b: BaggageEntry | undefined): boolean {
  if (a === undefined || b === undefined) return a === b
  return a.value === b.value && a.metadata?.toString() === b.metadata?.toString()
}

/** `baggage` with the entries of `added` over its own. */
export function withEntriesOf(
  baggage: Baggage | undefined,
  added: Baggage | undefined,
): Baggage | undefined {
  if (added === undefined || baggage === undefined) return added ?? baggage
  let merged = baggage
  for (const [key, entry] of added.getAllEntries()) merged = merged.setEntry(key, entry)
  return merged
}
