// Express keeps no full route template on the request: `req.route.path` is the last router's
// pattern and `req.baseUrl` holds the matched values (`/orgs/acme`), and is reset when an error
// unwinds through the routers. So the template is found by walking the router stacks to the
// layer whose route is `req.route`, reading each mount's pattern on the way. No Express object
// is patched; the walk runs once per request, when the response ends.
import type { ServerRequestInfo } from '@tracehop/core/adapter'
import { handleOf } from './request-spans.js'
import {
  findInStack,
  matchOf,
  MAX_DEPTH,
  patternText,
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
// too, but only where it was reached through that mount: the router may be mounted elsewhere as
// well (`/v1`). Its entry keeps the route's layer, which then must match the whole path.
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
    if (known.layer === undefined || matchOf(known.layer, path) !== undefined) {
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
    const layer = found.viaMount ? found.routeLayer : undefined
    appRouteTemplates.set(route, { app, template: routePath, layer })
  }
  return joinPaths(scope.prefix + (found?.template ?? ''), routePath)
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
    return { prefix: chain.prefix, rest: stripSegments(path, chain.prefix) }
  }
  const tracingChain = appUseChain(tracingApp)
  const tracingStack = routerStack(tracingApp)
  const toRoot =
    tracingStack === undefined
      ? undefined
      : findInStack(tracingStack, stripSegments(path, tracingChain.prefix), chain.root)
  if (toRoot === undefined) {
    // Reached where the walk cannot follow (a router.use() inside an app.use() sub-app, whose
    // wrapper Express does not expose, or a handler calling the app): named from its own mounts.
    return { prefix: chain.prefix, rest: stripSegments(path, chain.prefix) }
  }
  return {
    prefix: tracingChain.prefix + toRoot.template + chain.prefix,
    rest: stripSegments(toRoot.rest, chain.prefix),
  }
}

/** The mount patterns app.use() left from `app` up to the app it hangs from, `root`. */
function appUseChain(app: unknown): { root: unknown; prefix: string } {
  let prefix = ''
  let current = app as MountableApp | undefined
  for (let depth = 0; current?.parent !== undefined && depth < MAX_DEPTH; depth++) {
    const mountpath = patternText(current.mountpath)
    if (mountpath === undefined) break
    // An app mounted at `/` adds nothing, but the app above it may.
    if (mountpath !== '/') prefix = mountpath + prefix
    current = current.parent as MountableApp
  }
  return { root: current, prefix }
}

function isInChain(app: unknown, ancestor: unknown): boolean {
  let current = app as MountableApp | undefined
  for (let depth = 0; current !== undefined && depth <= MAX_DEPTH; depth++) {
    if (current === ancestor) return true
    current = current.parent as MountableApp | undefined
  }
  return false
}

// Drops from `path` as many segments as `prefix` has.
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

function joinPaths(prefix: string, path: string): string {
  if (prefix === '' || prefix === '/') return path
  if (path === '/' || path === '') return prefix
  return prefix.endsWith('/') && path.startsWith('/') ? prefix + path.slice(1) : prefix + path
}

function pathname(url: string): string {
  const query = url.indexOf('?')
  return query === -1 ? url : url.slice(0, query)
}
