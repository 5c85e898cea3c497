// A Koa adapter for tracehop, written only against @tracehop/core/adapter: core decides names,
// tags, propagation, errors and when the span ends; this file only translates Koa's context.
import {
  createServerTracing,
  type ServerRequestInfo,
  type ServerTracingOptions,
} from '@tracehop/core/adapter'
import type { Context, Middleware } from 'koa'
import type { Span } from 'opentracing'

declare module 'koa' {
  interface DefaultContext {
    /** The request's server span, set by koaTracing(); undefined when the request is not traced. */
    span?: Span | undefined
  }
}

/**
 * Koa middleware: one server span per request, continued from the incoming headers, active for
 * every later middleware, exposed as `ctx.span`, finished once when the response ends. Install it
 * first; an error thrown through it is recorded on the span and rethrown.
 */
export function koaTracing(options: ServerTracingOptions = {}): Middleware {
  const tracing = createServerTracing('koa', options)
  return async function tracehopKoaMiddleware(ctx, next) {
    const handle = tracing.start(ctx, describeRequest)
    if (handle === undefined) {
      await next()
      return
    }
    ctx.span = handle.span
    handle.finishOnResponseEnd(ctx.req, ctx.res, routeOf, ctx)
    if (handle.traceHeader !== undefined) ctx.set(handle.traceHeader.name, handle.traceHeader.value)
    try {
      await handle.run(next)
    } catch (error) {
      handle.recordError(error)
      if (handle.traceHeader !== undefined) keepHeaderOnError(error, handle.traceHeader)
      throw error
    }
  }
}

// Koa answers an error that reaches it with none of the headers set so far, only those in the
// error's own `headers`: the trace id goes there too, so a failed response still carries it.
function keepHeaderOnError(error: unknown, header: { name: string; value: string }): void {
  if (error === null || typeof error !== 'object') return
  try {
    const carrier = error as { headers?: unknown }
    const headers = carrier.headers
    carrier.headers = {
      ...(headers !== null && typeof headers === 'object' ? headers : {}),
      [header.name]: header.value,
    }
  } catch {
    // An error that refuses the property (a Proxy, say) is answered without the trace id.
  }
}

// ctx.protocol, ctx.host and ctx.ip follow X-Forwarded-* only when the app sets `proxy: true`;
// ctx.host reads HTTP/2's `:authority` too.
function describeRequest(ctx: Context): ServerRequestInfo {
  const socket = ctx.req.socket as { remoteAddress?: string; remotePort?: number } | null
  const ip = ctx.ip || undefined
  return {
    method: ctx.method,
    url: ctx.originalUrl,
    headers: ctx.headers,
    host: ctx.host || undefined,
    protocol: ctx.protocol,
    remoteAddress: ip,
    // A client found in X-Forwarded-For: the socket's port is the proxy's, not the client's.
    remotePort: ip === socket?.remoteAddress ? socket?.remotePort : undefined,
  }
}

// @koa/router leaves the template that matched on the context, prefixes included.
function routeOf(ctx: Context): string | undefined {
  const route = (ctx as { _matchedRoute?: unknown })._matchedRoute
  return typeof route === 'string' ? route : undefined
}
