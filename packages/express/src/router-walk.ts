// The search through Express's router stacks behind routeTemplate() (route.ts): from a stack
// and a path, the mount patterns Express went through to reach a route (or a sub-app), read
// from both majors' layers without patching them.

import { parameterTemplate } from './mount-template.js'

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
      const template = joinPaths(mount.template, found.template)
      return { template, rest: found.rest, viaMount: true, routeLayer: found.routeLayer }
    }
  }
  return undefined
}

/**
 * Whether one chain of mounts only leads from `stack` to `route`, whatever the path: a router
 * mounted twice (at `/v1` and at `/`, or at `/` and inside another router) has two.
 */
export function reachedOnce(stack: readonly Layer[], route: unknown): boolean {
  return chainsTo(stack, route, new Map(), 0) === 1
}

// The chains from `stack` to `route`, counted up to 2. Each router's count is kept, so that a
// router mounted in many places (or inside itself) is searched once.
function chainsTo(
  stack: readonly Layer[],
  route: unknown,
  counted: Map<unknown, number>,
  depth: number,
): number {
  let chains = 0
  for (const layer of stack) {
    if (layer.route !== undefined) {
      if (layer.route === route) chains++
    } else if (depth < MAX_DEPTH) {
      const handle = layer.handle
      let below = counted.get(handle)
      if (below === undefined) {
        counted.set(handle, 0)
        const inner = routerStack(handle)
        below = inner === undefined ? 0 : chainsTo(inner, route, counted, depth + 1)
        counted.set(handle, below)
      }
      chains += below
    }
    if (chains > 1) break
  }
  return chains
}

/** The layers of a router, or of an app's router; undefined for any other handle. */
export function routerStack(handle: unknown): Layer[] | undefined {
  return routerOf(handle)?.stack
}

/** What is read of a router of either major. */
export interface Router {
  stack: Layer[]
  caseSensitive?: unknown
}

/** A router, or an app's router; undefined for any other handle. */
export function routerOf(handle: unknown): Router | undefined {
  if (handle === null || (typeof handle !== 'function' && typeof handle !== 'object')) {
    return undefined
  }
  const candidate = handle as { stack?: unknown; _router?: unknown; router?: unknown }
  if (Array.isArray(candidate.stack)) return candidate as Router
  // An app: Express 4 keeps its router in `_router`, Express 5 in `router`.
  const router = (candidate._router ?? safeGet(() => candidate.router)) as { stack?: unknown }
  return router !== undefined && Array.isArray(router?.stack) ? (router as Router) : undefined
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

/** `prefix` and `path` joined by one slash (`/api/` and `/x` give `/api/x`). */
export function joinPaths(prefix: string, path: string): string {
  if (prefix === '' || prefix === '/') return path
  if (path === '/' || path === '') return prefix
  return prefix.endsWith('/') && path.startsWith('/') ? prefix + path.slice(1) : prefix + path
}

/** What is left of `path` below `matched`, the part a mount took. */
export function restBelow(path: string, matched: string): string {
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

/** What `layer`, a mount, matches of `path` (`/api` of `/api/x`), or undefined when it does not. */
export function matchedPath(layer: Layer, path: string): string | undefined {
  const result = matchOf(layer, path)
  if (result === undefined) return undefined
  const source: MatchResult = typeof result === 'object' ? result : layer
  return typeof source.path === 'string' ? source.path : undefined
}

function safeGet(read: () => unknown): unknown {
  try {
    return read()
  } catch {
    return undefined
  }
}
