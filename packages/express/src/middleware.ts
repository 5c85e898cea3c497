import {
  createServerTracing,
  type ServerRequestInfo,
  type ServerTracingOptions,
} from '@tracehop/core/adapter'
import type { ErrorRequestHandler, NextFunction, Request, RequestHandler, Response } from 'express'
import type { Span } from 'opentracing'
import { routeTemplate, TRACING_APP, type DescribedRequest } from './route.js'
import { exposeSpan, handleOf } from './request-spans.js'

declare global {
  // eslint-disable-next-line @typescript-eslint/no-namespace
  namespace Express {
    interface Request {
      /** The request's server span, set by tracingMiddleware(); undefined when not traced. */
      span?: Span | undefined
    }
  }
}

/** Options of tracingMiddleware(): the server policy options of @tracehop/core. */
export type ExpressTracingOptions = ServerTracingOptions

/**
 * Express 4 and 5 middleware: one server span per request, continued from the incoming headers,
 * active for the rest of the chain, exposed as `req.span`, finished once when the response ends
 * or the client goes away.
 *
 * @example app.use(tracingMiddleware({ ignore: ['/healthz'] }))
 */
export function tracingMiddleware(options: ExpressTracingOptions = {}): RequestHandler {
  const tracing = createServerTracing('express', options)
  return function tracehopExpressMiddleware(req: Request, res: Response, next: NextFunction): void {
    // A request routed through two apps that both install the middleware is traced once.
    if (handleOf(req) !== undefined) return next()
    // Express's request is only read if the tracer or an option needs it (see describeRequest).
    const handle = tracing.start(req, describeRequest)
    if (handle === undefined) return next()
    exposeSpan(req, handle)
    handle.finishOnResponseEnd(req, res, routeTemplate, req)
    const header = handle.traceHeader
    if (header !== undefined && !res.headersSent) res.setHeader(header.name, header.value)
    handle.run(next)
  }
}

/**
 * Express error middleware: records the error on the request's span (`error` tag and log, at
 * finish) and passes it on with `next(err)`. Install it after your routes.
 */
export function tracingErrorHandler(): ErrorRequestHandler {
  return function tracehopExpressErrorHandler(
    err: unknown,
    req: Request,
    _res: Response,
    next: NextFunction,
  ): void {
    handleOf(req)?.recordError(err)
    next(err)
  }
}

// Each property read on `req` misses V8's caches (Express swaps its prototype on every request),
// so each is read once, and only when the tracer or an option needs it.
function describeRequest(req: Request): ServerRequestInfo {
  const headers = req.headers
  const socket = req.socket
  const app = req.app as ExpressApp | undefined
  const request: DescribedRequest = {
    method: req.method,
    // originalUrl is Express's; a plain Node request (the middleware called by hand) has url.
    url: req.originalUrl ?? req.url,
    headers,
    host: headers.host,
    protocol: isEncrypted(socket) ? 'https' : 'http',
    remoteAddress: socket?.remoteAddress,
    remotePort: socket?.remotePort,
    [TRACING_APP]: app,
  }
  // Behind a proxy the app trusts, Express resolves scheme, host and client from X-Forwarded-*:
  // read then only, the default (trusting none) leaving them as the socket says.
  if (app !== undefined && trustsProxy(app)) describeForwarded(req, app, request)
  return request
}

/** What of an Express app describeRequest() reads: its settings. */
interface ExpressApp {
  get(setting: string): unknown
}

/** Express's compiled `trust proxy` setting: whether the hop-th address from the socket is trusted. */
type TrustFunction = (address: string | undefined, hop: number) => boolean

function trustsProxy(app: ExpressApp): boolean {
  if (typeof app.get !== 'function') return false
  const setting = app.get('trust proxy')
  return setting !== undefined && setting !== false && setting !== 0 && setting !== ''
}

// As Express resolves them: `req.protocol` and `req.ip` (its trust function applied to the socket
// peer and to each X-Forwarded-For hop), and the host as Express 5's `req.host` reads it (Express
// 4's `req.hostname` is the same without the port, which `http.url` needs).
function describeForwarded(req: Request, app: ExpressApp, request: ServerRequestInfo): void {
  request.protocol = req.protocol
  const trust = app.get('trust proxy fn') as TrustFunction | undefined
  const forwardedHost = firstEntry(request.headers, 'x-forwarded-host')
  if (forwardedHost !== '' && typeof trust === 'function' && trust(request.remoteAddress, 0)) {
    request.host = forwardedHost
  }
  const ip = req.ip
  if (ip !== request.remoteAddress) {
    // The client is a hop of X-Forwarded-For: the socket's port is the proxy's, not the client's.
    request.remoteAddress = ip
    request.remotePort = undefined
  }
}

function firstEntry(headers: ServerRequestInfo['headers'], name: string): string {
  const value = (headers as Record<string, unknown> | undefined)?.[name]
  if (typeof value !== 'string') return ''
  const comma = value.indexOf(',')
  return (comma === -1 ? value : value.slice(0, comma)).trim()
}

function isEncrypted(socket: unknown): boolean {
  return (socket as { encrypted?: unknown } | undefined)?.encrypted === true
}
