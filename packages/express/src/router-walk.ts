// The search through Express's router stacks behind routeTemplate() (route.ts): from a stack
// and a path, the mount patterns Express went through to reach a route (or a sub-app), read
// from both majors' layers without patching them.

interface MatchResult {
  path?: unknown
  params?: unknown
  pattern?: unknown
}

/** What the search reads of a layer of Express 4's router or of `router` 2 (Express 5). */
export interface Layer {
  route?: unknown
  handle?: unknown
  keys?: unknown
  path?: unknown
  params?: unknown
  regexp?: unknown
  match?: (path: string) => boolean | MatchResult
}

/** Where findInStack() found its target. */
export interface Found {
  /** The mount patterns on the way, joined (`/orgs/:org`); '' when there were none or only `/`. */
  template: string
  /** What is left of the path below the last mount (the target's own part). */
  rest: string
  /** False when the target sits in the searched stack itself. */
  viaMount: boolean
  /** The layer of the route found (a route's search only). */
  routeLayer?: Layer | undefined
}

export const MAX_DEPTH = 16

/**
 * Finds `target` (a route, or an app mounted with `router.use()`) below `stack` for `path`, the way
 * Express dispatches: depth first, entering only the mounts whose pattern matches the path.
 */
export function findInStack(
  stack: readonly Layer[],
  path: string,
  target: unknown,
  depth = 0,
  routeMustMatch = false,
): Found | undefined {
  for (let index = 0; index < stack.length; index++) {
    const layer = stack[index] as Layer
    if (layer.route !== undefined) {
      if (layer.route !== target) continue
      if (!routeMustMatch || matchOf(layer, path) !== undefined) {
        return { template: '', rest: path, viaMount: false, routeLayer: layer }
      }
      continue
    }
    if (depth >= MAX_DEPTH) continue
    const inner = routerStack(layer.handle)
    if (inner === undefined) continue
    const mount = matchMount(layer, path)
    if (mount === undefined) continue
    const rest = restBelow(path, mount.matched)
    if (layer.handle === target) return { template: mount.template, rest, viaMount: true }
    // When the route does not match below this mount, Express goes on to the next layer, which
    // may mount the same router again (at `/` and at `/v1`): the route's own pattern decides
    // then. Checked only for such routers, to spare the usual request a match.
    const mountedAgain = routeMustMatch || isMountedLater(stack, index, layer.handle)
    const found = findInStack(inner, rest, target, depth + 1, mountedAgain)
    if (found !== undefined) {
      const template = mount.template + found.template
      return { template, rest: found.rest, viaMount: true, routeLayer: found.routeLayer }
    }
  }
  return undefined
}

/** The layers of a router, or of an app's router; undefined for any other handle. */
export function routerStack(handle: unknown): Layer[] | undefined {
  if (handle === null || (typeof handle !== 'function' && typeof handle !== 'object')) {
    return undefined
  }
  const candidate = handle as { stack?: unknown; _router?: unknown; router?: unknown }
  if (Array.isArray(candidate.stack)) return candidate.stack as Layer[]
  // An app: Express 4 keeps its router in `_router`, Express 5 in `router`.
  const router = (candidate._router ?? safeGet(() => candidate.router)) as { stack?: unknown }
  return router !== undefined && Array.isArray(router?.stack)
    ? (router.stack as Layer[])
    : undefined
}

/** A route or mount pattern as text (a RegExp as its source, alternatives joined by `|`). */
export function patternText(pattern: unknown): string | undefined {
  if (typeof pattern === 'string') return pattern
  if (pattern instanceof RegExp) return String(pattern)
  if (Array.isArray(pattern)) return pattern.map((part) => patternText(part) ?? '').join('|')
  return undefined
}

function isMountedLater(stack: readonly Layer[], index: number, handle: unknown): boolean {
  for (let later = index + 1; later < stack.length; later++) {
    if ((stack[later] as Layer).handle === handle) return true
  }
  return false
}

function restBelow(path: string, matched: string): string {
  const rest = path.slice(matched.length) || '/'
  return rest.startsWith('/') ? rest : `/${rest}`
}

/** What `layer` matches of `path` (its own `match()`), or undefined when it does not. */
export function matchOf(layer: Layer, path: string): true | MatchResult | undefined {
  if (typeof layer.match !== 'function') return undefined
  try {
    const result = layer.match(path)
    return result === false || result === null || result === undefined ? undefined : result
  } catch {
    // Express 4 throws on a malformed escape in a parameter: it could not have matched.
    return undefined
  }
}

function matchMount(layer: Layer, path: string): { matched: string; template: string } | undefined {
  const result = matchOf(layer, path)
  if (result === undefined) return undefined
  // router >= 2.3 (Express 5) returns the match and the raw pattern; older routers (Express 4)
  // return true and leave the match on the layer.
  const source: MatchResult = typeof result === 'object' ? result : layer
  const matched = typeof source.path === 'string' ? source.path : ''
  const pattern = 'pattern' in source ? patternText(source.pattern) : undefined
  const template = pattern ?? parameterTemplate(layer, path, matched, source.params)
  return { matched, template: template === '/' ? '' : template }
}

// Express 4 keeps the matched text (`/orgs/acme`) and the values, not the pattern. The values
// alone cannot tell which segment each came from (`/orgs/orgs`), so the layer's own regexp is
// run again with match indices: each named capture is the span its parameter matched.
function parameterTemplate(layer: Layer, path: string, matched: string, params: unknown): string {
  if (!hasNamedParameter(params)) return matched
  const { regexp, keys } = layer
  if (!(regexp instanceof RegExp) || !Array.isArray(keys)) return substituteParams(matched, params)
  const spans = withIndices(regexp).exec(path)?.indices
  if (spans === undefined) return substituteParams(matched, params)
  let template = matched
  let replacedFrom = matched.length
  // Right to left, so that the spans still to replace keep their offsets.
  for (let group = spans.length - 1; group >= 1; group--) {
    const span = spans[group]
    const name = (keys[group - 1] as { name?: unknown } | undefined)?.name
    if (span === undefined || !isNamed(name) || span[1] > replacedFrom) continue
    template = `${template.slice(0, span[0])}:${name}${template.slice(span[1])}`
    replacedFrom = span[0]
  }
  return template
}

const indexedRegexps = new WeakMap<RegExp, RegExp>()

function withIndices(regexp: RegExp): RegExp {
  let indexed = indexedRegexps.get(regexp)
  if (indexed === undefined) {
    indexed = new RegExp(regexp.source, regexp.flags.replace(/[dgy]/g, '') + 'd')
    indexedRegexps.set(regexp, indexed)
  }
  return indexed
}

// Unnamed captures (`*`, a RegExp's groups) are numbered: their values stay in the template.
function isNamed(name: unknown): name is string {
  return typeof name === 'string' && !/^\d+$/.test(name)
}

function hasNamedParameter(params: unknown): params is Record<string, unknown> {
  if (params === null || typeof params !== 'object') return false
  for (const name in params) if (isNamed(name)) return true
  return false
}

// A layer without a regexp to rerun (an unknown router): each value replaces the first segment
// after the previous one that equals it, which guesses wrong when a literal segment before it
// has the same text.
function substituteParams(matched: string, params: Record<string, unknown>): string {
  const segments = matched.split('/')
  let from = 1
  for (const [name, value] of Object.entries(params)) {
    if (typeof value !== 'string' || !isNamed(name)) continue
    for (let i = from; i < segments.length; i++) {
      if (decodeSegment(segments[i] as string) === value) {
        segments[i] = `:${name}`
        from = i + 1
        break
      }
    }
  }
  return segments.join('/')
}

function decodeSegment(segment: string): string {
  if (!segment.includes('%')) return segment
  try {
    return decodeURIComponent(segment)
  } catch {
    return segment
  }
}

function safeGet(read: () => unknown): unknown {
  try {
    return read()
  } catch {
    return undefined
  }
}
