import {
  createClientTracing,
  type ClientTracingOptions,
  type Transport,
} from '@tracehop/core/adapter'

/** Options of tracedFetch: the client policy options of @tracehop/core. */
export type FetchTracingOptions = ClientTracingOptions

type Fetch = typeof globalThis.fetch
/** A fetch function other than the global one: undici's, a test's stand-in. */
export type AnyFetch = (input: string, init?: never) => Promise<{ readonly status: number }>
/** What tracedFetch() makes of `F`: a function with F's signature, and none of its members. */
export type TracedFetch<F extends AnyFetch> = (...args: Parameters<F>) => ReturnType<F>
type FetchInput = Parameters<Fetch>[0]
type FetchInit = Parameters<Fetch>[1]
type HeadersSource = ConstructorParameters<typeof Headers>[0]

interface RequestLike {
  url: string
  method: string
  headers: Iterable<[string, string]>
  signal?: AbortSignal | null
  referrer?: string
  referrerPolicy?: string
}

/**
 * Wraps `fetchImpl` (default: `globalThis.fetch` as it is now, or, while there is none, as it is
 * when a call is made; undici's fetch works too) so every call becomes
 * a client span, child of the active span, whose context travels in the request headers. The
 * result has fetch's exact signature; the caller's input, init and headers are never mutated.
 *
 * @example const fetch = tracedFetch(globalThis.fetch, { propagate: isInternal })
 */
export function tracedFetch<F extends AnyFetch>(
  fetchImpl: F,
  options?: FetchTracingOptions,
): TracedFetch<F>
// Last, so that ReturnType<typeof tracedFetch> is fetch's type.
export function tracedFetch(fetchImpl?: Fetch, options?: FetchTracingOptions): Fetch
export function tracedFetch(
  fetchImpl: AnyFetch = globalFetch(),
  options: FetchTracingOptions = {},
): AnyFetch {
  // In Node a fetch goes out through undici: Node's own, bound or wrapped, and the undici
  // package's. Were tracehop to inject beside instrumentation-undici, undici would send two
  // traceparent lines; a fetch over another transport is then left untraced instead.
  return traceFetch(fetchImpl as Fetch, options, 'undici', keepsRequestReferrer)
}

/**
 * The global fetch, or where there is none yet (Jest's jsdom environment, a polyfill loaded later)
 * one that calls the global fetch there is when a call is made.
 */
export function globalFetch(): Fetch {
  const fetch: Fetch | undefined = globalThis.fetch
  return fetch ?? fetchWhenCalled
}

// Set while it calls the global fetch: a call back into it from there is the traced fetch calling
// itself, made the global fetch (or wrapped into it), which would go on for ever.
let callingGlobal = false

const fetchWhenCalled = function fetch(input: FetchInput, ...init: [FetchInit?]) {
  if (callingGlobal) throw new TypeError('fetch is not defined')
  callingGlobal = true
  try {
    // With no global fetch, this throws the TypeError a call of the missing fetch throws.
    return globalThis.fetch(input, ...init)
  } finally {
    callingGlobal = false
  }
}

/**
 * tracedFetch() for calls that go out through `transport` (undefined: not known), in a runtime
 * where `keepsReferrer` tells whether fetch keeps a Request's referrer under an empty init, as
 * the standard says.
 */
export function traceFetch(
  fetchImpl: Fetch,
  options: FetchTracingOptions,
  transport: Transport | undefined,
  keepsReferrer: (request: RequestLike) => boolean,
): Fetch {
  const tracing = createClientTracing('fetch', options)
  const traced = async function tracehopFetch(
    input: FetchInput,
    init?: FetchInit,
  ): Promise<Response> {
    const request = isRequest(input) ? input : undefined
    // As fetch reads it: anything but a Request as a string (a URL's href, `null` a relative URL),
    // whatever the types say it is.
    const given: unknown = input
    let url: string
    try {
      url = request ? request.url : String(given)
    } catch {
      // No URL to trace: fetch fails on this input itself, with its own error.
      return fetchImpl(input, init)
    }
    const method = methodAsSent(init?.method ?? request?.method ?? 'GET')
    const call = tracing.start({ method, url, transport })
    if (call === undefined) return fetchImpl(input, init)
    let response: Response
    try {
      let tracedInit = init
      if (Object.keys(call.headers).length > 0) {
        const headers = mergeHeaders(request, init, call.headers)
        // Reads the caller's init, as fetch itself would: a getter that throws fails the call.
        if (headers !== undefined) {
          tracedInit = withHeaders(request, init, headers, keepsReferrer)
        }
      }
      response = await fetchImpl(input, tracedInit)
    } catch (error) {
      call.finish(describeFailure(error, init, request))
      throw error
    }
    // A stand-in fetch (a test's) may resolve to anything: the caller gets it as it is.
    const status = (response as Response | undefined)?.status
    call.finish({ statusCode: typeof status === 'number' ? status : undefined })
    return response
  }
  // It stands in for fetchImpl, so it keeps its `length` and `name` (fetch's are 1 and 'fetch').
  Object.defineProperty(traced, 'length', { value: fetchImpl.length })
  Object.defineProperty(traced, 'name', { value: fetchImpl.name })
  // Where it replaces the global fetch, OpenTelemetry's exporters send spans through the fetch
  // it wraps (their convention for a wrapped fetch): exporting a span must not make a span.
  Object.defineProperty(traced, '__original', { value: fetchImpl })
  return traced
}

// The request's own headers, then init's (fetch lets init replace them all, a null included),
// then the trace headers replacing any the caller set (never a second traceparent). Undefined
// when fetch would refuse the init or its headers: the call then goes out as it was, untouched,
// to fail as it does without tracing.
function mergeHeaders(
  request: RequestLike | undefined,
  init: FetchInit,
  traceHeaders: Readonly<Record<string, string>>,
): Headers | undefined {
  // A primitive, which fetch refuses as an init: Object() wraps it in another value.
  if (init != null && Object(init) !== init) return undefined
  try {
    const initHeaders = init?.headers
    // A Headers copied as one keeps the names as the app wrote them; pairs would be lower-case.
    const headers = new Headers(
      initHeaders !== undefined ? initHeaders : (request?.headers as HeadersSource),
    )
    for (const [name, value] of Object.entries(traceHeaders)) headers.set(name, value)
    return headers
  } catch {
    return undefined
  }
}

// Every member of fetch's init (RequestInit), which fetch reads whether own, inherited or a
// getter (undici's `dispatcher` too).
const INIT_MEMBERS = [
  'body',
  'cache',
  'credentials',
  'dispatcher',
  'duplex',
  'headers',
  'integrity',
  'keepalive',
  'method',
  'mode',
  'priority',
  'redirect',
  'referrer',
  'referrerPolicy',
  'signal',
  'window',
] as const

// The caller's init with the trace headers: its own properties (a `dispatcher` for undici, say)
// and every member of fetch's init it has. fetch keeps a Request's referrer and referrer policy
// only when its init is empty, which an init is unless one of those members is not undefined
// (other properties do not count): then the Request's own go into this one, where the runtime's
// fetch keeps them at all.
function withHeaders(
  request: RequestLike | undefined,
  init: FetchInit,
  headers: Headers,
  keepsReferrer: (request: RequestLike) => boolean,
) {
  const traced: Record<string, unknown> = { ...init }
  let given = false
  if (init != null) {
    for (const member of INIT_MEMBERS) {
      const value = (init as Record<string, unknown>)[member]
      if (value === undefined) continue
      traced[member] = value
      given = true
    }
  }
  traced.headers = headers
  if (request !== undefined && !given && keepsReferrer(request)) {
    if (typeof request.referrer === 'string') traced.referrer = request.referrer
    if (typeof request.referrerPolicy === 'string') {
      traced.referrerPolicy = request.referrerPolicy
    }
  }
  return traced as RequestInit
}

// Whether a Request's class keeps a Request's referrer under an empty init, as the standard says.
// Undici 7 (Node 24's, and the undici package's 7) resets it under any init or none, so its
// fetch never sends it; a traced call must not send it either. Undici 6 and 8 keep it. Asked once per class: the fetch a
// Request is given to is the one of its undici.
const referrerKept = new WeakMap<object, boolean>()
function keepsRequestReferrer(request: RequestLike): boolean {
  try {
    const RequestClass = request.constructor as typeof Request
    let kept = referrerKept.get(RequestClass)
    if (kept === undefined) {
      const probe = new RequestClass('http://probe.invalid/', { referrer: '' })
      kept = new RequestClass(probe, {}).referrer === ''
      referrerKept.set(RequestClass, kept)
    }
    return kept
  } catch {
    return true
  }
}

// What a failed call's error says: a timeout, an abort or a failure. The error and the caller's
// init and signal may be anything, getters that throw included: then it is a failure.
function describeFailure(error: unknown, init: FetchInit, request: RequestLike | undefined) {
  try {
    const name = (error as { name?: unknown } | null)?.name
    if (name === 'TimeoutError') return { error, timedOut: true }
    if (name === 'AbortError') return { error, aborted: true }
    // abort(reason) makes fetch reject with the reason itself, whatever it is.
    const signal = init?.signal ?? request?.signal
    if (signal?.aborted === true && signal.reason === error) return { error, aborted: true }
  } catch {
    // Told as a failure below.
  }
  return { error }
}

// fetch sends these six in upper case, in whatever case they were given; any other as given.
const NORMALIZED_METHODS = new Set(['DELETE', 'GET', 'HEAD', 'OPTIONS', 'POST', 'PUT'])

function methodAsSent(method: unknown): string {
  if (typeof method !== 'string') return 'GET'
  const upper = method.toUpperCase()
  return NORMALIZED_METHODS.has(upper) ? upper : method
}

// Duck-typed, so undici's Request (another class than the global one) is recognised too.
function isRequest(input: unknown): input is RequestLike {
  if (input === null || typeof input !== 'object') return false
  const candidate = input as Partial<RequestLike>
  return (
    typeof candidate.url === 'string' &&
    typeof candidate.method === 'string' &&
    typeof candidate.headers === 'object'
  )
}
