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

function startAttributes(method, url, remoteAddress) {
  const query = url.indexOf('?')
  return {
    'http.request.method': method,
    'url.scheme': 'http',
    'url.path': query === -1 ? url : url.slice(0, query),
    'client.address': remoteAddress,
  }
}

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
    const attributes = startAttributes(req.method, req.url, req.socket.remoteAddress)
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
    const attributes = startAttributes(request.method, request.url, request.socket.remoteAddress)
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
