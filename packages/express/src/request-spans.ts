import { IncomingMessage } from 'node:http'
import type { ServerSpanHandle } from '@tracehop/core/adapter'

// `req.span` is public API, but a `span` property added to `req` per request would cost Express's
// own reads of `req`: Express swaps the request's prototype on every request, so each added
// property builds a fresh hidden class (bench/README.md has the measurements). So `span` is an
// accessor defined once on Express's request prototype (`express.request`, the prototype of every
// app's `app.request`). That prototype is the extension point Express documents ("Overriding the
// Express API"); only `span` is added, and nothing of Express is replaced.
//
// The accessor finds the request's handle on the request itself, under a symbol (non-enumerable,
// so copying a request does not carry it), not in a WeakMap keyed by the request: V8's minor GC
// keeps every WeakMap value whose key is still young, dead or not, so each request handled since
// the last scavenge had its handle, span and described request copied by it, and V8 grew its new
// space for all that survived (bench/README.md). A property dies with its request.

// Shared by every copy of this package (CJS and ESM builds), so that tracingErrorHandler() and the
// accessor find the span whichever copy's middleware started it.
const HANDLE_KEY = Symbol.for('tracehop.express.serverSpan')
type WithHandle = { [HANDLE_KEY]?: ServerSpanHandle }
// Marks the `span` accessor of every copy: each reads the same key, so any copy's will do.
const ACCESSOR_MARK = Symbol.for('tracehop.express.spanAccessor')

// Requests that refuse the property (a Proxy, say): made only if one ever does.
let refusing: WeakMap<object, ServerSpanHandle> | undefined

/** The handle of a traced request, or undefined. */
export function handleOf(req: object): ServerSpanHandle | undefined {
  return (req as WithHandle)[HANDLE_KEY] ?? refusing?.get(req)
}

// Prototypes of requests already known to reach the accessor (or known not to).
const prototypes = new WeakMap<object, boolean>()

/** Records `handle` as the span of `req`; `req.span` returns it, through the accessor if it can. */
export function exposeSpan(req: object, handle: ServerSpanHandle): void {
  try {
    Object.defineProperty(req, HANDLE_KEY, { configurable: true, writable: true, value: handle })
  } catch {
    ;(refusing ??= new WeakMap()).set(req, handle)
  }
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
  if (existing !== undefined) return isOurAccessor(existing)
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
  return handleOf(this)?.span
}
Object.defineProperty(getSpan, ACCESSOR_MARK, { value: true })

function isOurAccessor(descriptor: PropertyDescriptor): boolean {
  const { get } = descriptor as { get?: { [ACCESSOR_MARK]?: unknown } }
  return get === getSpan || get?.[ACCESSOR_MARK] === true
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
