import { IncomingMessage } from 'node:http'
import type { ServerSpanHandle } from '@tracehop/core/adapter'

// `req.span` is public API, but a property added to `req` per request would be the costliest thing
// the middleware does: Express swaps the request's prototype on every request, so each added
// property builds a fresh hidden class and turns the framework's own reads on `req` megamorphic
// (bench/README.md has the measurements). So `span` is an accessor defined once on Express's
// request prototype (`express.request`, the prototype of every app's `app.request`), and each
// request's handle lives in a WeakMap. That prototype is the extension point Express documents
// ("Overriding the Express API"); only `span` is added, and nothing of Express is replaced.

// Shared by every copy of this package (CJS and ESM builds, two versions), so that
// tracingErrorHandler() and the accessor find the span whichever copy's middleware started it.
const SPANS_KEY = Symbol.for('tracehop.express.serverSpans')
type GlobalWithSpans = typeof globalThis & { [SPANS_KEY]?: WeakMap<object, ServerSpanHandle> }

/** Each traced request's span, by request. */
export const serverSpans = ((globalThis as GlobalWithSpans)[SPANS_KEY] ??= new WeakMap<
  object,
  ServerSpanHandle
>())

// Prototypes of requests already known to reach the accessor (or known not to).
const prototypes = new WeakMap<object, boolean>()

/** Records `handle` as the span of `req`; `req.span` returns it, through the accessor if it can. */
export function exposeSpan(req: object, handle: ServerSpanHandle): void {
  serverSpans.set(req, handle)
  const prototype = Object.getPrototypeOf(req) as object | null
  let viaAccessor = prototype === null ? false : prototypes.get(prototype)
  if (viaAccessor === undefined && prototype !== null) {
    viaAccessor = defineAccessor(prototype)
    prototypes.set(prototype, viaAccessor)
  }
  // Without the accessor, a plain property. (An own `span` that other code set on this request
  // before the middleware ran hides the accessor; checking for one would cost a lookup per request.)
  if (viaAccessor !== true) {
    ;(req as { span?: unknown }).span = handle.span
  }
}

// Finds the prototype just above IncomingMessage's (Express's `request`, shared by all its apps
// and sub-apps) and defines the accessor there, unless something else already owns `span`.
function defineAccessor(prototype: object): boolean {
  let holder: object | null = prototype
  while (holder !== null && Object.getPrototypeOf(holder) !== IncomingMessage.prototype) {
    holder = Object.getPrototypeOf(holder) as object | null
  }
  if (holder === null) return false
  const existing = Object.getOwnPropertyDescriptor(holder, 'span')
  if (existing !== undefined) return existing.get === getSpan
  try {
    Object.defineProperty(holder, 'span', {
      configurable: true,
      enumerable: false,
      get: getSpan,
      set: setOwnSpan,
    })
    return true
  } catch {
    return false
  }
}

function getSpan(this: object): unknown {
  return serverSpans.get(this)?.span
}

// Assigning `req.span` keeps working as it did with a plain property.
function setOwnSpan(this: object, value: unknown): void {
  Object.defineProperty(this, 'span', {
    configurable: true,
    enumerable: true,
    writable: true,
    value,
  })
}
