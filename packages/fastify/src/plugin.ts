import type { EventEmitter } from 'node:events'
import { activeSpan } from '@tracehop/core'
import {
  createServerTracing,
  type ServerRequestInfo,
  type ServerSpanHandle,
  type ServerTracingOptions,
} from '@tracehop/core/adapter'
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

// Shared by every copy of this package (CJS and ESM builds), so that recordError() finds the
// handle whichever copy's plugin started it.
const SERVER_SPAN = Symbol.for('tracehop.fastify.serverSpan')
type TracedRequest = FastifyRequest & { [SERVER_SPAN]: ServerSpanHandle | null }

function tracingPluginCallback(
  fastify: FastifyInstance,
  options: FastifyTracingOptions,
  done: (error?: Error) => void,
): void {
  const tracing = createServerTracing('fastify', options)
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
    const header = handle.traceHeader
    // Set on Node's response rather than with reply.header(), which a hijacked reply written
    // through reply.raw never sends; Node merges it with the headers Fastify writes.
    const raw = reply.raw
    if (header !== undefined && !raw.headersSent) raw.setHeader(header.name, header.value)
    // Ends with the response, whichever way it goes (sent, hijacked, destroyed, the client
    // leaving first, the connection timing out). Core watches Node's response itself, so there is
    // no onResponse, onRequestAbort or onTimeout hook here, each of which costs every request.
    handle.finishOnResponseEnd(request.raw, raw, routeOf, request)
    handle.run(next)
  })

  // Fastify resumes after reading a body from the socket's own async context, so the span is
  // made active again once the body is parsed; only then (a GET has no body to lose it to).
  fastify.addHook('preValidation', function tracehopReenterSpan(request, _reply, next) {
    continueInSpan(request as TracedRequest, next)
  })

  // Fastify 4 fails a body over `bodyLimit` from the socket's context too, before preValidation:
  // the error handler and onSend run in the span again from here.
  fastify.addHook('onError', function tracehopRecordError(request, _reply, error, next) {
    recordError(request, error)
    continueInSpan(request as TracedRequest, next)
  })

  // A reply sent from another async context (a long poll answered from another request's
  // callback, a pooled driver's callback) runs the hooks after it there, in that other request's
  // span: they run in the request's own again from here, preSerialization first for an object.
  fastify.addHook('preSerialization', function tracehopSerializeInSpan(request, _r, _p, next) {
    continueInSpan(request as TracedRequest, next)
  })

  fastify.addHook('onSend', function tracehopSendInSpan(request, reply, payload, next) {
    const handle = (request as TracedRequest)[SERVER_SPAN]
    if (handle !== null && isNodeStream(payload)) watchBodyStream(payload, handle, reply.raw)
    continueInSpan(request as TracedRequest, next)
  })

  done()
}

function isNodeStream(payload: unknown): payload is EventEmitter {
  return (
    typeof payload === 'object' &&
    payload !== null &&
    typeof (payload as { pipe?: unknown }).pipe === 'function' &&
    typeof (payload as { once?: unknown }).once === 'function'
  )
}

/** What watchBodyStream() reads of Node's response (HTTP/1's, HTTP/2's, light-my-request's). */
interface RawResponse {
  readonly headersSent: boolean
}

// A body stream that fails once the headers are out makes Fastify destroy the response, with no
// onError: core would see a cut response and blame the client. One listener per stream response.
function watchBodyStream(
  stream: EventEmitter,
  handle: ServerSpanHandle,
  response: RawResponse,
): void {
  stream.once('error', (error: unknown) => {
    // Before the headers, Fastify answers the error through onError (which records it); once the
    // client has left, the response was cut already: an abort.
    if (response.headersSent && !responseClosed(response)) handle.failResponse(error)
  })
}

// Node's HTTP/1 response (light-my-request's too) says `destroyed`, HTTP/2's its stream.
function responseClosed(response: RawResponse): boolean {
  const { destroyed, stream } = response as {
    destroyed?: unknown
    stream?: { destroyed?: unknown }
  }
  return destroyed === true || stream?.destroyed === true
}

function continueInSpan(request: TracedRequest, next: () => void): void {
  const handle = request[SERVER_SPAN]
  if (handle === null || activeSpan() === handle.span) next()
  else handle.run(next)
}

// Scheme, host and client as Fastify resolves them: from the socket (the session's, over HTTP/2),
// the Host header or HTTP/2's `:authority`, and from X-Forwarded-* only under `trustProxy`.
function describeRequest(request: FastifyRequest): ServerRequestInfo {
  const raw = request.raw
  const socket = raw.socket as { remoteAddress?: string; remotePort?: number } | null
  const ip = request.ip
  const info: ServerRequestInfo = {
    method: request.method,
    url: request.url,
    headers: request.headers,
    host: undefined,
    protocol: undefined,
    remoteAddress: ip,
    // A client found in X-Forwarded-For: the socket's port is the proxy's, not the client's.
    remotePort: ip === socket?.remoteAddress ? socket?.remotePort : undefined,
  }
  const host = (request as { host?: unknown }).host
  if (typeof host === 'string' || forwardedByTrustedHop(request)) {
    // Fastify 5's `host` (with the port) and Fastify 4's `hostname` are the same value.
    info.host = (typeof host === 'string' ? host : request.hostname) || undefined
    info.protocol = request.protocol
  } else {
    info.host = raw.headers.host ?? (raw.headers[':authority'] as string | undefined)
    info.protocol =
      (socket as { encrypted?: unknown } | null)?.encrypted === true ? 'https' : 'http'
  }
  return info
}

// Fastify 5 takes X-Forwarded-Proto and -Host only from a trusted peer; Fastify 4 from any peer
// once `trustProxy` is set (its `ips` exist then). There they are believed only when X-Forwarded-For
// shows the peer trusted (a hop beyond the socket's address), so no client sets them by itself.
function forwardedByTrustedHop(request: FastifyRequest): boolean {
  const ips = (request as { ips?: unknown }).ips
  return !Array.isArray(ips) || ips.length > 1
}

function routeOf(request: FastifyRequest): string | undefined {
  if (request.is404) return undefined
  const url = request.routeOptions.url
  return typeof url === 'string' && url !== '' ? url : undefined
}

/**
 * Records `error` on the request's span, recorded when the span finishes, as the plugin's
 * `onError` hook does: for errors answered without Fastify's error handler (a NestJS exception
 * filter, a handler that catches and replies). Does nothing for a request that is not traced.
 */
export function recordError(request: FastifyRequest, error: unknown): void {
  ;(request as Partial<TracedRequest>)[SERVER_SPAN]?.recordError(error)
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
