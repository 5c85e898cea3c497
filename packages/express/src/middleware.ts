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

// Shared by every copy of this package, so tracingErrorHandler() finds the span of any copy's
// middleware.
const SERVER_SPAN = Symbol.for('tracehop.express.serverSpan')
type TracedRequest = Request & { [SERVER_SPAN]?: ServerSpan }

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
    if ((req as TracedRequest)[SERVER_SPAN] !== undefined) return next()
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
    ;(req as TracedRequest)[SERVER_SPAN] = handle
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
    ;(req as TracedRequest)[SERVER_SPAN]?.recordError(err)
    next(err)
  }
}

function finishOnClose(this: Response): void {
  const req = this.req as TracedRequest | undefined
  const handle = req?.[SERVER_SPAN]
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
