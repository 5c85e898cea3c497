'use strict'
// The floor of tracing on the OTel SDK: a hand-written minimal instrumentation that calls the
// OTel API directly, as little as a request span needs (extract, one SERVER span with its
// attributes at start, the request run in its context, route and status at the end, ended once).
// No instrumentation on the same SDK can cost less; the others are measured against it.
const api = require('@opentelemetry/api')

// Got once, as an instrumentation keeps its tracer: a global tracer follows the provider
// registered later.
const floorTracer = api.trace.getTracer('bench-floor')
const tracer = () => floorTracer

// The attributes the stable HTTP conventions give a server span at its start, and no more: each
// read as directly as Node allows (no redaction, which the benchmark's query-less URL never
// needs). Fewer would record less than an instrumentation of those conventions does, not cost less.
function startAttributes(method, url, host, socket) {
  const query = url.indexOf('?')
  const attributes = {
    'http.request.method': KNOWN_METHODS.has(method) ? method : '_OTHER',
    'url.scheme': socket.encrypted ? 'https' : 'http',
    'url.path': query === -1 ? url : url.slice(0, query),
    'client.address': socket.remoteAddress,
    'network.peer.address': socket.remoteAddress,
    'network.peer.port': socket.remotePort,
  }
  if (query !== -1) attributes['url.query'] = url.slice(query + 1)
  if (host !== undefined) {
    const colon = host.lastIndexOf(':')
    const hasPort = colon !== -1 && colon > host.lastIndexOf(']')
    attributes['server.address'] = hasPort ? host.slice(0, colon) : host
    attributes['server.port'] = hasPort
      ? Number(host.slice(colon + 1))
      : socket.encrypted
        ? 443
        : 80
  }
  return attributes
}

const KNOWN_METHODS = new Set([
  'GET',
  'HEAD',
  'POST',
  'PUT',
  'DELETE',
  'PATCH',
  'OPTIONS',
  'TRACE',
  'CONNECT',
])

function endSpan(span, method, route, statusCode) {
  if (route) {
    span.updateName(`${method} ${route}`)
    span.setAttribute('http.route', route)
  }
  span.setAttribute('http.response.status_code', statusCode)
  if (statusCode >= 500) span.setStatus({ code: api.SpanStatusCode.ERROR })
  span.end()
}

/** Express middleware: the span ends at the response's 'finish' or 'close', once. */
function expressFloor() {
  return function otelFloor(req, res, next) {
    const parent = api.propagation.extract(api.ROOT_CONTEXT, req.headers)
    const attributes = startAttributes(req.method, req.url, req.headers.host, req.socket)
    const span = tracer().startSpan(req.method, { kind: api.SpanKind.SERVER, attributes }, parent)
    let ended = false
    const end = () => {
      if (ended) return
      ended = true
      const route = req.route === undefined ? undefined : req.baseUrl + req.route.path
      endSpan(span, req.method, route, res.statusCode)
    }
    res.once('finish', end)
    res.once('close', end)
    api.context.with(api.trace.setSpan(parent, span), next)
  }
}

const SPAN = Symbol('otelFloorSpan')

/** A Fastify plugin (registered with fastify-plugin's skip-override): onRequest to onResponse. */
function fastifyFloor(app) {
  app.decorateRequest(SPAN, null)
  app.addHook('onRequest', (request, _reply, done) => {
    const parent = api.propagation.extract(api.ROOT_CONTEXT, request.headers)
    const attributes = startAttributes(
      request.method,
      request.url,
      request.headers.host,
      request.socket,
    )
    const span = tracer().startSpan(
      request.method,
      { kind: api.SpanKind.SERVER, attributes },
      parent,
    )
    request[SPAN] = span
    api.context.with(api.trace.setSpan(parent, span), done)
  })
  app.addHook('onResponse', (request, reply, done) => {
    const span = request[SPAN]
    if (span !== null) endSpan(span, request.method, request.routeOptions.url, reply.statusCode)
    done()
  })
}

module.exports = { expressFloor, fastifyFloor }
