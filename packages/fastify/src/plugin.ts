import {
  activeSpan,
  createServerTracing,
  responseResult,
  type ResponseEnding,
  type ResponseLike,
  type ServerRequestInfo,
  type ServerSpan,
  type ServerTracingOptions,
} from '@tracehop/core'
import type { FastifyInstance, FastifyPluginCallback, FastifyRequest } from 'fastify'
import fp from 'fastify-plugin'
import type { Span } from 'opentracing'

declare module 'fastify' {
  interface FastifyRequest {
    /** The request's server span, set by tracingPlugin; null when the request is not traced. */
    span: Span | null
  }
}

/** Options of tracingPlugin: the server policy options of @tracehop/core. */
export type FastifyTracingOptions = ServerTracingOptions

const SERVER_SPAN = Symbol('tracehop.fastify.serverSpan')
type TracedRequest = FastifyRequest & { [SERVER_SPAN]: ServerSpan | null }

function tracingPluginCallback(
  fastify: FastifyInstance,
  options: FastifyTracingOptions,
  done: (error?: Error) => void,
): void {
  const tracing = createServerTracing(options, 'fastify')
  // Declared up front (null, never an object) so every request has the same shape.
  fastify.decorateRequest('span', null)
  fastify.decorateRequest(SERVER_SPAN, null)

  fastify.addHook('onRequest', function tracehopStartSpan(request, reply, next) {
    // The request is only read if the tracer or an option needs it (see describeRequest).
    const handle = tracing.start(request, describeRequest)
    if (handle === undefined) {
      next()
      return
    }
    ;(request as TracedRequest)[SERVER_SPAN] = handle
    request.span = handle.span
    if (handle.responseHeader !== undefined) {
      void reply.header(handle.responseHeader[0], handle.responseHeader[1])
    }
    // Ends with the response, whichever way it goes (sent, hijacked, destroyed, the client
    // leaving first, the connection timing out), without a listener or closure per request on a
    // real connection. This is also why there is no onResponse, onRequestAbort or onTimeout hook:
    // each costs more per request (onTimeout an object and a listener removal).
    handle.watchResponse(request.raw, reply.raw, finishSpan, request)
    handle.run(next)
  })

  // Fastify resumes after reading a body from the socket's own async context, so the span is
  // made active again once the body is parsed; only then (a GET has no body to lose it to).
  fastify.addHook('preValidation', function tracehopReenterSpan(request, _reply, next) {
    const handle = (request as TracedRequest)[SERVER_SPAN]
    if (handle === null || activeSpan() === handle.span) next()
    else handle.run(next)
  })

  fastify.addHook('onError', function tracehopRecordError(request, _reply, error, next) {
    ;(request as TracedRequest)[SERVER_SPAN]?.recordError(error)
    next()
  })

  done()
}

function describeRequest(request: FastifyRequest): ServerRequestInfo {
  const socket = request.raw.socket as { remoteAddress?: string; remotePort?: number } | null
  return {
    method: request.method,
    url: request.url,
    headers: request.headers,
    host: request.headers.host,
    protocol: request.protocol,
    remoteAddress: socket?.remoteAddress,
    remotePort: socket?.remotePort,
  }
}

function finishSpan(request: FastifyRequest, response: ResponseLike, ending: ResponseEnding): void {
  const handle = (request as TracedRequest)[SERVER_SPAN]
  handle?.finish(responseResult(response, ending, routeOf(request)))
}

function routeOf(request: FastifyRequest): string | undefined {
  if (request.is404) return undefined
  const url = request.routeOptions.url
  return typeof url === 'string' && url !== '' ? url : undefined
}

/**
 * Fastify 4 and 5 plugin: one server span per request, continued from the incoming headers,
 * active in hooks and handlers (after body parsing too), exposed as `request.span`, finished once.
 *
 * @example await app.register(tracingPlugin, { ignore: ['/healthz'] })
 */
export const tracingPlugin: FastifyPluginCallback<FastifyTracingOptions> = fp(
  tracingPluginCallback,
  { fastify: '4.x || 5.x', name: '@tracehop/fastify' },
)
