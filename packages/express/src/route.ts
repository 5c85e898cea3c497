// Express keeps no full route template on the request: `req.route.path` is the last router's
// pattern and `req.baseUrl` holds the matched values (`/orgs/acme`), and is reset when an error
// unwinds through the routers. So the template is found by walking the router stacks to the
// layer whose route is `req.route`, reading each mount's pattern on the way. No Express object
// is patched; the walk runs once per request, when the response ends.
import type { ServerRequestInfo } from '@tracehop/core/adapter'
import { handleOf } from './request-spans.js'
import {
  findInStack,
  joinPaths,
  matchedPath,
  matchOf,
  MAX_DEPTH,
  patternText,
  reachedOnce,
  restBelow,
  routerOf,
  routerStack,
  type Layer,
} from './router-walk.js'

interface RoutedRequest {
  route?: { path?: unknown } | undefined
  app?: unknown
  originalUrl?: string | undefined
  url?: string | undefined
}

interface MountableApp {
  mountpath?: unknown
  parent?: unknown
}

// Inside a sub-app `req.app` is the sub-app, which knows where app.use() mounted it but not where
// router.use() did: the app that ran the middleware is the walk's other end. describeRequest()
// reads `req.app` anyway, so it is kept on the described request (which core keeps on the
// request's handle) rather than read again, or added to `req`, per request.
export const TRACING_APP = Symbol('tracehop.express.tracingApp')

/** The request as the middleware describes it: with the app whose router ran the middleware. */
export type DescribedRequest = ServerRequestInfo & { [TRACING_APP]?: unknown }

// Routes declared on a top-level app itself (`app.get(...)`, the usual case) have their own path
// as template, whatever the URL: it is kept per route, with the app, so that later requests skip
// the walk. The app that ran the middleware must be that app on each use, and not mounted since.
// A route in a router mounted at `/` (`app.use(router)`, as common) has its own path as template
// too, if no other chain of mounts leads to it: a router mounted at `/v1` as well is dispatched
// through whichever mount Express meets first that matches, and its wildcard route matches both
// `/v1/a` and `/x`. That is checked once, when the entry is made; the entry keeps the route's
// layer, which then must match the whole path (against a router mounted elsewhere since), and
// the request must not have ended in a sub-app (whose stack the check could not enter) that
// holds the router too.
interface KnownTemplate {
  app: unknown
  template: string
  /** The route's layer, for a route reached through mounts at `/`. */
  layer: Layer | undefined
}
const appRouteTemplates = new WeakMap<object, KnownTemplate>()

/** The full route template of the request (`/orgs/:org/users/:id`), or undefined if none matched. */
export function routeTemplate(req: RoutedRequest): string | undefined {
  const route = req.route
  if (route === undefined || route === null) return undefined
  const described = handleOf(req)?.request as DescribedRequest | undefined
  const tracingApp = described?.[TRACING_APP] ?? req.app
  const known = appRouteTemplates.get(route)
  const path = pathname(described?.url ?? req.originalUrl ?? req.url ?? '/')
  if (known !== undefined && known.app === tracingApp && !isMounted(tracingApp)) {
    const layer = known.layer
    if (layer === undefined || (req.app === tracingApp && matchOf(layer, path) !== undefined)) {
      return known.template
    }
  }
  const routePath = patternText(route.path)
  if (routePath === undefined) return undefined
  const app = req.app
  const scope = routeScope(app, tracingApp, path)
  const stack = routerStack(app)
  const found = stack === undefined ? undefined : findInStack(stack, scope.rest, route)
  if (found?.template === '' && app === tracingApp && !isMounted(app)) {
    if (!found.viaMount) {
      appRouteTemplates.set(route, { app, template: routePath, layer: undefined })
    } else if (stack !== undefined && reachedOnce(stack, route)) {
      appRouteTemplates.set(route, { app, template: routePath, layer: found.routeLayer })
    }
  }
  return joinPaths(joinPaths(scope.prefix, found?.template ?? ''), routePath)
}

function isMounted(app: unknown): boolean {
  return (app as MountableApp | undefined)?.parent !== undefined
}

/** A mount prefix (`/api/v1`), and what is left of the path below it. */
interface Scope {
  prefix: string
  rest: string
}

// The mounts above `app`, the app whose router dispatched the route: app.use() leaves each
// sub-app its mount pattern and parent. An app reached through router.use() has none: the mounts
// above it are then found from the app that ran the middleware, by walking its stacks.
function routeScope(app: unknown, tracingApp: unknown, path: string): Scope {
  const chain = appUseChain(app)
  if (tracingApp === undefined || isInChain(app, tracingApp)) {
    return { prefix: chain.prefix, rest: belowMounts(path, chain) }
  }
  const tracingChain = appUseChain(tracingApp)
  const tracingStack = routerStack(tracingApp)
  const toRoot =
    tracingStack === undefined
      ? undefined
      : findInStack(tracingStack, belowMounts(path, tracingChain), chain.root)
  if (toRoot === undefined) {
    // Reached where the walk cannot follow (a router.use() inside an app.use() sub-app, whose
    // wrapper Express does not expose, or a handler calling the app): named from its own mounts.
    return { prefix: chain.prefix, rest: belowMounts(path, chain) }
  }
  return {
    prefix: joinPaths(joinPaths(tracingChain.prefix, toRoot.template), chain.prefix),
    rest: belowMounts(toRoot.rest, chain),
  }
}

/** The mounts app.use() left from an app up to the app it hangs from, `root`. */
interface AppChain {
  root: unknown
  /** Their patterns, outermost first (`/api/v1`). */
  prefix: string
  /** The apps mounted at something else than `/`, innermost first. */
  mounted: MountableApp[]
}

function appUseChain(app: unknown): AppChain {
  let prefix = ''
  const mounted: MountableApp[] = []
  let current = app as MountableApp | undefined
  for (let depth = 0; current?.parent !== undefined && depth < MAX_DEPTH; depth++) {
    const mountpath = patternText(current.mountpath)
    if (mountpath === undefined) break
    // An app mounted at `/` adds nothing, but the app above it may.
    if (mountpath !== '/') {
      prefix = joinPaths(mountpath, prefix)
      mounted.push(current)
    }
    current = current.parent as MountableApp
  }
  return { root: current, prefix, mounted }
}

function isInChain(app: unknown, ancestor: unknown): boolean {
  let current = app as MountableApp | undefined
  for (let depth = 0; current !== undefined && depth <= MAX_DEPTH; depth++) {
    if (current === ancestor) return true
    current = current.parent as MountableApp | undefined
  }
  return false
}

// What is left of `path` below the mounts of `chain`, each matched as Express matched it: the
// text of a pattern tells neither how many segments it takes (`/api/`, `['/v1', '/v2']`, a
// RegExp, `/api{/:v}`) nor which.
function belowMounts(path: string, chain: AppChain): string {
  if (chain.mounted.length === 0) return stripSegments(path, '')
  let rest = path
  for (let index = chain.mounted.length - 1; index >= 0; index--) {
    const layer = mountLayer(chain.mounted[index] as MountableApp)
    const matched = layer === undefined ? undefined : matchedPath(layer, rest)
    if (matched === undefined) return stripSegments(path, chain.prefix)
    rest = restBelow(rest, matched)
  }
  return rest
}

// The layer app.use() added for a sub-app is a closure that keeps the app out of reach, so one
// like it is made, once per app and mount pattern, from the Layer class of its parent's router
// and the options app.use() gives it.
const mountLayers = new WeakMap<object, { mountpath: unknown; layer: Layer | undefined }>()

type LayerClass = new (path: unknown, options: object, handle: () => void) => Layer

function mountLayer(app: MountableApp): Layer | undefined {
  const known = mountLayers.get(app)
  if (known !== undefined && known.mountpath === app.mountpath) return known.layer
  let layer: Layer | undefined
  const router = routerOf(app.parent)
  const LayerOfRouter = (router?.stack[0] as object | undefined)?.constructor
  if (typeof (LayerOfRouter?.prototype as Layer | undefined)?.match === 'function') {
    const options = { sensitive: router?.caseSensitive === true, strict: false, end: false }
    try {
      layer = new (LayerOfRouter as LayerClass)(app.mountpath, options, mountedApp)
    } catch {
      layer = undefined
    }
  }
  mountLayers.set(app, { mountpath: app.mountpath, layer })
  return layer
}

function mountedApp(): void {}

// Drops from `path` as many segments as `prefix` has: for a parent whose router is unknown.
function stripSegments(path: string, prefix: string): string {
  const consumed = prefix === '' ? 0 : prefix.split('/').length - 1
  // The top-level app (the usual case) consumes nothing: the path is the rest as it is.
  if (consumed === 0 && path.startsWith('/')) return path
  return (
    '/' +
    path
      .split('/')
      .slice(consumed + 1)
      .join('/')
  )
}

function pathname(url: string): string {
  const query = url.indexOf('?')
  return query === -1 ? url : url.slice(0, query)
}
