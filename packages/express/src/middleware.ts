import { createServerTracing, type ServerSpan, type ServerTracingOptions } from '@tracehop/core'
import type { ErrorRequestHandler, NextFunction, Request, RequestHandler, Response } from 'express'
import type { Span } from 'opentracing'
import { routeTemplate } from './route.js'

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

// Each request's span, kept beside the request rather than on it: a symbol-keyed property
// added to Node's request object (which Express has already given many properties) can turn
// it into a slow dictionary-mode object for the rest of the chain, which cost more than all of
// tracehop's own work in the Express benchmark. Shared by every copy of this package through
// globalThis, so tracingErrorHandler() finds the span of any copy's middleware.
const SPANS_KEY = Symbol.for('tracehop.express.serverSpans')
type GlobalWithSpans = typeof globalThis & { [SPANS_KEY]?: WeakMap<object, ServerSpan> }
const serverSpans = ((globalThis as GlobalWithSpans)[SPANS_KEY] ??= new WeakMap())

/**
 * Express 4 and 5 middleware: one server span per request, continued from the incoming headers,
 * active for the rest of the chain, exposed as `req.span`, finished once when the response ends
 * or the client goes away.
 *
 * @example app.use(tracingMiddleware({ ignore: ['/healthz'] }))
 */
export function tracingMiddleware(options: ExpressTracingOptions = {}): RequestHandler {
  const tracing = createServerTracing(options, 'express')
  return function tracehopExpressMiddleware(req: Request, res: Response, next: NextFunction): void {
    // A request routed through two apps that both install the middleware is traced once.
    if (serverSpans.has(req)) return next()
    const socket = req.socket
    const handle = tracing.start({
      method: req.method,
      url: req.originalUrl,
      headers: req.headers,
      host: req.headers.host,
      protocol: isEncrypted(socket) ? 'https' : 'http',
      remoteAddress: socket?.remoteAddress,
      remotePort: socket?.remotePort,
    })
    if (handle === undefined) return next()
    serverSpans.set(req, handle)
    req.span = handle.span
    // 'close' fires once per response, after 'finish' when it completed and alone when the
    // client went away; one listener covers both without double finishing. One shared function,
    // not a closure per request: it finds the request through `res.req`.
    res.on('close', finishOnClose)
    const header = handle.responseHeader
    if (header !== undefined && !res.headersSent) res.setHeader(header[0], header[1])
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
    serverSpans.get(req)?.recordError(err)
    next(err)
  }
}

function finishOnClose(this: Response): void {
  const req = this.req as Request | undefined
  const handle = req === undefined ? undefined : serverSpans.get(req)
  if (req === undefined || handle === undefined) return
  const completed = this.writableFinished
  handle.finish({
    statusCode: completed || this.headersSent ? this.statusCode : undefined,
    route: safeRoute(req),
    aborted: !completed,
  })
}

function safeRoute(req: Request): string | undefined {
  try {
    return routeTemplate(req)
  } catch {
    return undefined
  }
}

function isEncrypted(socket: unknown): boolean {
  return (socket as { encrypted?: unknown } | undefined)?.encrypted === true
}
