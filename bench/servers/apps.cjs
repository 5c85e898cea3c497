'use strict'
// The one route every variant serves, GET /users/:id with a small JSON body, on each framework
// and under each integration. Only the integration differs between variants of a framework.

const user = (id) => ({ id, name: `user ${id}`, active: true })

/** `(id) => Promise<body>`: the downstream call of the client-side variants, else undefined. */
function downstreamCall(spec, tracer) {
  if (spec.client === undefined) return undefined
  const base = process.env.BENCH_DOWNSTREAM
  if (spec.client === 'axios') {
    const axios = require('axios')
    const client = axios.create({ baseURL: base })
    if (spec.clientTracing === 'tracehop') {
      require('@tracehop/axios').registerTracingInterceptor(client, { tracer })
    }
    return (id) => client.get(`/users/${id}`).then((response) => response.data)
  }
  const fetchImpl =
    spec.clientTracing === 'tracehop'
      ? require('@tracehop/fetch').tracedFetch(globalThis.fetch, { tracer })
      : globalThis.fetch
  return (id) => fetchImpl(`${base}/users/${id}`).then((response) => response.json())
}

function expressApp(spec, tracer) {
  const express = require(spec.framework) // 'express' (5) or the 'express4' alias
  const app = express()
  if (spec.integration === 'als') {
    const { AsyncLocalStorage } = require('node:async_hooks')
    const storage = new AsyncLocalStorage()
    app.use((req, _res, next) => storage.run(req, next))
  } else if (spec.integration === 'tracehop') {
    app.use(require('@tracehop/express').tracingMiddleware({ tracer }))
  } else if (spec.integration === 'express-opentracing') {
    app.use(require('express-opentracing').default({ tracer }))
  } else if (spec.integration === 'otel-floor') {
    app.use(require('./otel-floor.cjs').expressFloor())
  }
  const call = downstreamCall(spec, tracer)
  if (call === undefined) {
    app.get('/users/:id', (req, res) => res.json(user(req.params.id)))
  } else {
    app.get('/users/:id', (req, res, next) => {
      call(req.params.id).then((body) => res.json(body), next)
    })
  }
  if (spec.integration === 'tracehop') app.use(require('@tracehop/express').tracingErrorHandler())
  return {
    listen: () =>
      new Promise((resolve) => {
        const server = app.listen(0, '127.0.0.1', () => resolve(server.address().port))
      }),
  }
}

async function fastifyApp(spec, tracer, otel) {
  const fastify = require(spec.framework) // 'fastify' (5) or the 'fastify4' alias
  const app = fastify({ logger: false })
  if (spec.integration === 'als') {
    const { AsyncLocalStorage } = require('node:async_hooks')
    const storage = new AsyncLocalStorage()
    app.addHook('onRequest', (request, _reply, done) => storage.run(request, done))
  } else if (spec.integration === 'tracehop') {
    await app.register(require('@tracehop/fastify').tracingPlugin, { tracer })
  } else if (spec.integration === 'fastify-otel') {
    await app.register(otel.fastifyPlugin())
  } else if (spec.integration === 'otel-floor') {
    // Hooks on the root instance, as a fastify-plugin would add them.
    require('./otel-floor.cjs').fastifyFloor(app)
  }
  app.get('/users/:id', async (request) => user(request.params.id))
  return {
    listen: async () => {
      await app.listen({ port: 0, host: '127.0.0.1' })
      return app.server.address().port
    },
  }
}

/** The app of `spec`, ready to listen. */
function buildApp(spec, tracer, otel) {
  return spec.framework.startsWith('fastify')
    ? fastifyApp(spec, tracer, otel)
    : expressApp(spec, tracer)
}

module.exports = { buildApp }
