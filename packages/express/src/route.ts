// Express keeps no full route template on the request: `req.route.path` is the last router's
// pattern and `req.baseUrl` holds the matched values (`/orgs/acme`), and is reset when an error
// unwinds through the routers. So the template is found by walking the app's router stacks to
// the layer whose route is `req.route`, reading each mount's pattern on the way. No Express
// object is patched; the walk runs once per request, when the response ends.

interface MatchResult {
  path?: unknown
  params?: unknown
  pattern?: unknown
}

interface Layer {
  route?: unknown
  handle?: unknown
  keys?: unknown
  path?: unknown
  params?: unknown
  match?: (path: string) => boolean | MatchResult
}

interface RoutedRequest {
  route?: { path?: unknown } | undefined
  app?: unknown
  originalUrl?: string | undefined
  url?: string | undefined
}

const MAX_DEPTH = 16

// Routes declared on a top-level app itself (`app.get(...)`, the usual case) have their own path
// as template, whatever the URL: it is kept per route, with the app, so that later requests skip
// the walk. The app is checked on each use, and so is its `parent`, set if it gets mounted later.
const appRouteTemplates = new WeakMap<object, { app: unknown; template: string }>()

/**
 * The full route template of the request (`/orgs/:org/users/:id`), or undefined if none matched;
 * `url` is the request's original URL (default: read from `req`).
 */
export function routeTemplate(
  req: RoutedRequest,
  url = req.originalUrl ?? req.url ?? '/',
): string | undefined {
  const route = req.route
  if (route === undefined || route === null) return undefined
  const app = req.app
  const known = appRouteTemplates.get(route)
  if (known !== undefined && known.app === app && !isMounted(app)) return known.template
  const routePath = patternText(route.path)
  if (routePath === undefined) return undefined
  const path = pathname(url)
  const { prefix, stack, rest } = appScope(app, path)
  const mounts = stack === undefined ? undefined : findMounts(stack, rest, route, 0)
  // An unmounted app has no prefix: the route sits in its own stack.
  if (mounts === '' && !isMounted(app)) {
    appRouteTemplates.set(route, { app, template: routePath })
  }
  return joinPaths(prefix + (mounts ?? ''), routePath)
}

function isMounted(app: unknown): boolean {
  return (app as { parent?: unknown } | undefined)?.parent !== undefined
}

// A sub-app (`app.use('/v1', subApp)`) is reached through a wrapper Express does not expose,
// but inside it `req.app` is the sub-app, which knows its mount pattern and parent.
function appScope(
  app: unknown,
  path: string,
): { prefix: string; stack: Layer[] | undefined; rest: string } {
  const mountPatterns: string[] = []
  let current = app as { mountpath?: unknown; parent?: unknown } | undefined
  for (let depth = 0; current?.parent !== undefined && depth < MAX_DEPTH; depth++) {
    const mountpath = patternText(current.mountpath)
    if (mountpath === undefined || mountpath === '/') break
    mountPatterns.unshift(mountpath)
    current = current.parent as typeof current
  }
  const prefix = mountPatterns.join('')
  const consumed = prefix === '' ? 0 : prefix.split('/').length - 1
  // The top-level app (the usual case) consumes nothing: the path is the rest as it is.
  const rest =
    consumed === 0 && path.startsWith('/')
      ? path
      : '/' +
        path
          .split('/')
          .slice(consumed + 1)
          .join('/')
  return { prefix, stack: routerStack(app), rest }
}

function findMounts(
  stack: Layer[],
  path: string,
  target: unknown,
  depth: number,
): string | undefined {
  for (const layer of stack) {
    if (layer.route !== undefined) {
      if (layer.route === target) return ''
      continue
    }
    if (depth >= MAX_DEPTH) continue
    const inner = routerStack(layer.handle)
    if (inner === undefined) continue
    const mount = matchMount(layer, path)
    if (mount === undefined) continue
    const rest = path.slice(mount.matched.length) || '/'
    const found = findMounts(inner, rest.startsWith('/') ? rest : `/${rest}`, target, depth + 1)
    if (found !== undefined) return mount.template + found
  }
  return undefined
}

function matchMount(layer: Layer, path: string): { matched: string; template: string } | undefined {
  if (typeof layer.match !== 'function') return undefined
  const result = layer.match(path)
  if (result === false || result === undefined || result === null) return undefined
  // router >= 2.3 (Express 5) returns the match and the raw pattern; older routers (Express 4)
  // return true and leave the match on the layer.
  const source: MatchResult = typeof result === 'object' ? result : layer
  const matched = typeof source.path === 'string' ? source.path : ''
  const pattern = 'pattern' in source ? patternText(source.pattern) : undefined
  const template = pattern ?? substituteParams(matched, source.params)
  return { matched, template: template === '/' ? '' : template }
}

// Turns `/orgs/acme` back into `/orgs/:org` when only the values are known.
function substituteParams(matched: string, params: unknown): string {
  if (params === null || typeof params !== 'object') return matched
  const segments = matched.split('/')
  let from = 1
  for (const [name, value] of Object.entries(params as Record<string, unknown>)) {
    if (typeof value !== 'string' || /^\d+$/.test(name)) continue
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

function routerStack(handle: unknown): Layer[] | undefined {
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

function patternText(pattern: unknown): string | undefined {
  if (typeof pattern === 'string') return pattern
  if (pattern instanceof RegExp) return String(pattern)
  if (Array.isArray(pattern)) return pattern.map((part) => patternText(part) ?? '').join('|')
  return undefined
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
