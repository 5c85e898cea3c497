// The active span: one store per process (Node's AsyncLocalStorage, or in a browser a synchronous
// stack), and the application API over it.
import type { AsyncLocalStorage } from 'node:async_hooks'
import { globalTracer, Span as NoopSpan, type Span, type Tracer } from 'opentracing'
import { Guard } from './guard.js'
import type { ActiveSpanOptions, ContextStore, ErrorHandler, TraceIds, Transport } from './types.js'

// One store per process, whatever number of copies of this package are loaded (CJS and ESM
// builds, or two versions side by side): a span made active by one copy is seen by the others.
// It is tracehop's own store until a bridge (such as @tracehop/otel) installs its own.
const STATE_KEY = Symbol.for('tracehop.activeSpan.state')
interface ContextState {
  store: ContextStore
  readonly fallback: ContextStore
}
type GlobalWithState = typeof globalThis & { [STATE_KEY]?: ContextState }
const state: ContextState = ((globalThis as GlobalWithState)[STATE_KEY] ??= defaultState())

function defaultState(): ContextState {
  const fallback = (globalThis.__TRACEHOP_BROWSER__ ? undefined : asyncLocalStore()) ?? stackStore()
  return { store: fallback, fallback }
}

// Node's AsyncLocalStorage, loaded through getBuiltinModule rather than imported so that the
// module has no import a browser bundler would have to resolve; undefined outside Node.
function asyncLocalStore(): ContextStore | undefined {
  const hooks = globalThis.process?.getBuiltinModule?.('node:async_hooks') as
    { AsyncLocalStorage: typeof AsyncLocalStorage } | undefined
  if (hooks === undefined) return undefined
  const storage = new hooks.AsyncLocalStorage<Span>()
  return {
    active: () => storage.getStore(),
    run: (span, fn) => storage.run(span, fn),
  }
}

// Where there is no AsyncLocalStorage (a browser has neither it nor zones), the span made active
// by run() is active until `fn` returns: through its synchronous part only, not across `await`.
function stackStore(): ContextStore {
  const stack: Span[] = []
  return {
    active: () => stack[stack.length - 1],
    run: (span, fn) => {
      stack.push(span)
      try {
        return fn()
      } finally {
        stack.pop()
      }
    },
  }
}

/**
 * Makes `store` hold the active span from now on, for every copy of core in the process; undefined
 * restores tracehop's own (AsyncLocalStorage, or in a browser a synchronous stack). Spans active
 * when it is called stay where they were.
 */
export function setContextStore(store: ContextStore | undefined): void {
  state.store = store ?? state.fallback
}

/** True when the installed store's tracer traces calls over `transport` itself. */
export function tracerTracesTransport(transport: Transport): boolean {
  return state.store.tracesTransport?.(transport) === true
}

/** The span active in the current async context, or undefined outside any traced work. */
export function activeSpan(): Span | undefined {
  return state.store.active()
}

/** Runs `fn` with `span` as the active span and returns what `fn` returns. */
export function withSpan<T>(span: Span, fn: () => T): T {
  return state.store.run(span, fn)
}

/**
 * Starts a child of the active span (a root span when none is active), runs `fn(span)` with it
 * active, and finishes it when `fn` returns or its promise settles; a throw or rejection is
 * recorded on the span as on every span (`error` tag, `error.type`/`error.message` tags, error
 * log) and rethrown. A failing tracer never fails `fn`: it is reported through `onError`.
 */
export function startActiveSpan<T>(
  name: string,
  fn: (span: Span) => T,
  options: ActiveSpanOptions = {},
): T {
  const guard = guardFor(options.onError)
  const span = startChildSpan(name, options, guard)
  let result: T
  try {
    result = state.store.run(span, () => fn(span))
  } catch (error) {
    guard.finishSpan(span, undefined, undefined, { error })
    throw error
  }
  if (isPromiseLike(result)) {
    return result.then(
      (value) => {
        guard.finishSpan(span, undefined, undefined, undefined)
        return value
      },
      (error: unknown) => {
        guard.finishSpan(span, undefined, undefined, { error })
        throw error
      },
    ) as T
  }
  guard.finishSpan(span, undefined, undefined, undefined)
  return result
}

/** Trace and span ids of `span` (default: the active span) for log correlation, or undefined. */
export function traceIds(span: Span | undefined = activeSpan()): TraceIds | undefined {
  return span === undefined ? undefined : defaultGuard.call('traceIds', readIds, span, undefined)
}

function readIds(span: Span): TraceIds | undefined {
  const context = span.context()
  const traceId = context.toTraceId()
  const spanId = context.toSpanId()
  if (typeof traceId !== 'string' || traceId === '') return undefined
  return { traceId, spanId: typeof spanId === 'string' ? spanId : '' }
}

// Guards of the tracer calls made here, one per onError handler, so each reports at most once per
// call site and window, as the adapters' do.
const defaultGuard = /* @__PURE__ */ new Guard()
const guards = new WeakMap<ErrorHandler, Guard>()

function guardFor(onError: ErrorHandler | undefined): Guard {
  if (onError === undefined) return defaultGuard
  let guard = guards.get(onError)
  if (guard === undefined) {
    guard = new Guard(onError)
    guards.set(onError, guard)
  }
  return guard
}

function startChildSpan(name: string, options: ActiveSpanOptions, guard: Guard): Span {
  const parent = activeSpan()
  const parentContext = parent === undefined ? undefined : guard.context(parent)
  const tags = options.tags === undefined ? undefined : { ...options.tags }
  const tracer = options.tracer ?? guard.call('tracer', tracerOf, parent, undefined)
  const span = guard.startSpan(tracer ?? globalTracer(), name, tags, parentContext)
  // A broken tracer must not break the user's function: it gets a span that records nothing.
  return span ?? new NoopSpan()
}

function tracerOf(span: Span | undefined): Tracer | undefined {
  return span?.tracer()
}

function isPromiseLike<T>(value: T): value is T & PromiseLike<Awaited<T>> {
  return (
    value !== null &&
    (typeof value === 'object' || typeof value === 'function') &&
    typeof (value as { then?: unknown }).then === 'function'
  )
}
