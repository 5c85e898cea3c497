// The `propagate` option, made once per client into one test of each request's URL.
import type { Guard } from './guard.js'
import type { PropagateOption, PropagateTarget } from './types.js'

/** Whether the call to `url` (absolute; `parsed`, if the caller parsed it) carries trace headers. */
export type PropagationRule = (url: string, parsed?: URL) => boolean

const ALWAYS: PropagationRule = () => true
const NEVER: PropagationRule = () => false

/**
 * The `propagate` option as one rule. `pageOrigin` is the origin of the page the code runs in (a
 * browser build passes `location.origin`; undefined outside a page): there the default is that
 * origin only, and targets add to it. A target that is no origin, RegExp or function is reported
 * through `guard` once, here (as `propagate target`), and matches nothing; a predicate that throws
 * is reported (as `propagate`) and says no.
 */
export function propagationRule(
  option: PropagateOption | undefined,
  guard: Guard,
  pageOrigin?: string,
): PropagationRule {
  if (option === true) return ALWAYS
  if (option === false) return NEVER
  if (option === undefined && pageOrigin === undefined) return ALWAYS
  const origins = new Set<string>()
  const patterns: RegExp[] = []
  const predicates: ((url: string) => boolean)[] = []
  // An opaque origin ('null': a sandboxed frame, a file: page) is the same origin as nothing.
  if (pageOrigin !== undefined && pageOrigin !== 'null') origins.add(pageOrigin)
  for (const target of targetsOf(option)) {
    if (typeof target === 'function') predicates.push(target)
    else if (target instanceof RegExp) patterns.push(target)
    else {
      const origin = typeof target === 'string' ? originOnly(target) : undefined
      if (origin !== undefined) origins.add(origin)
      else {
        // Apart from the predicates' site: a predicate that throws later is reported too.
        const error = new TypeError(`propagate: ${describe(target)} is no target`)
        guard.report('propagate target', error)
      }
    }
  }
  const matchesOrigin = origins.size > 0 || patterns.length > 0
  return (url, parsed) => {
    if (matchesOrigin) {
      const origin = originOf(parsed ?? url)
      if (origin !== undefined) {
        if (origins.has(origin)) return true
        for (const pattern of patterns) {
          pattern.lastIndex = 0
          if (pattern.test(origin)) return true
        }
      }
    }
    for (const predicate of predicates) {
      if (guard.call('propagate', predicate, url, false)) return true
    }
    return false
  }
}

function targetsOf(option: PropagateOption | undefined): readonly PropagateTarget[] {
  if (option === undefined || typeof option === 'boolean') return []
  return isList(option) ? option : [option]
}

function isList(
  option: PropagateTarget | readonly PropagateTarget[],
): option is readonly PropagateTarget[] {
  return Array.isArray(option)
}

// `text` as an origin, when it names one and nothing more: 'https://api.example.com' (a trailing
// slash allowed); a path, query or credentials would promise a finer match than origins give,
// and a wildcard (`https://*.example.com`, which URL takes as a host name) a wider one.
function originOnly(text: string): string | undefined {
  let url: URL
  try {
    url = new URL(text)
  } catch {
    return undefined
  }
  const bare =
    url.pathname === '/' &&
    url.search === '' &&
    url.hash === '' &&
    url.username === '' &&
    url.password === '' &&
    !url.hostname.includes('*')
  return bare && url.origin !== 'null' ? url.origin : undefined
}

// The origin of an absolute URL; undefined when it has none (unparsable, or opaque).
function originOf(url: string | URL): string | undefined {
  try {
    const origin = (typeof url === 'string' ? new URL(url) : url).origin
    return origin === 'null' ? undefined : origin
  } catch {
    return undefined
  }
}

function describe(target: unknown): string {
  return typeof target === 'string' ? JSON.stringify(target) : `a value of type ${typeof target}`
}
