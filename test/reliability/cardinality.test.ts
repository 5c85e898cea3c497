// Cardinality (CVE-2023-45142 and GHSA-5rv5-6h4r-h22v, unbounded methods as labels; CVE-2023-25151,
// query strings in span targets): 10,000 requests with random methods (every method Node's parser
// accepts, in any case, plus random extension tokens up to 64 characters), random ids and random
// query strings up to 4 KiB. Operation names stay within the registered route templates and the
// method set; `http.method` within the known methods and `_OTHER`; no tag value longer than the
// cap.
//
// The bound: a request no route matched is named by its method alone (its raw path would make a
// name per URL), so unmatched requests add at most one name per known method plus `_OTHER`; routes
// add one name per method the framework routes to them (GET routes also answer HEAD).
import assert from 'node:assert/strict'
import { randomUUID } from 'node:crypto'
import http from 'node:http'
import { describe, it } from 'node:test'
import { tracingMiddleware } from '@tracehop/express'
import { tracingPlugin } from '@tracehop/fastify'
import { RecordingTracer, assertFinishedOnce } from '@tracehop/testing'
import express from 'express'
import fastify from 'fastify'
import fc from 'fast-check'
import { listen, listenFastify, pooled, send, waitFor, type RunningServer } from '../support/net.js'

const REQUESTS = 10_000
const MAX_TAG_LENGTH = 1024
const KNOWN = [
  'GET',
  'HEAD',
  'POST',
  'PUT',
  'DELETE',
  'CONNECT',
  'OPTIONS',
  'TRACE',
  'PATCH',
  'QUERY',
]
const ROUTES = ['GET /users/:id', 'POST /users/:id', 'GET /orders/:orderId/items/:itemId']

/** The names a request may get: a route, HEAD on a GET route, or a bare method. */
const ALLOWED_NAMES = new Set([
  ...ROUTES,
  ...ROUTES.filter((route) => route.startsWith('GET ')).map((route) => `HEAD${route.slice(3)}`),
  ...KNOWN,
  'HTTP',
])

async function startApp(framework: 'express' | 'fastify', tracer: RecordingTracer) {
  if (framework === 'express') {
    const app = express()
    app.use(tracingMiddleware({ tracer }))
    app.get('/users/:id', (req, res) => res.json({ id: req.params.id }))
    app.post('/users/:id', (req, res) => res.status(201).json({ id: req.params.id }))
    app.get('/orders/:orderId/items/:itemId', (req, res) => res.json(req.params))
    return listen(app)
  }
  const app = fastify({ forceCloseConnections: true })
  await app.register(tracingPlugin, { tracer })
  app.get<{ Params: { id: string } }>('/users/:id', (request) => ({ id: request.params.id }))
  app.post<{ Params: { id: string } }>('/users/:id', (request, reply) =>
    reply.code(201).send({ id: request.params.id }),
  )
  app.get('/orders/:orderId/items/:itemId', (request) => request.params)
  return listenFastify(app)
}

// RFC 9110 token characters, all ASCII.
const tokenChar = fc.constantFrom(
  ..."ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789!#$%&'*+-.^_`|~".split(''),
)
const method = fc.oneof(
  fc.constantFrom(...http.METHODS.filter((name) => name !== 'CONNECT')),
  fc.constantFrom(...http.METHODS.map((name) => name.toLowerCase())),
  fc.string({ unit: tokenChar, minLength: 1, maxLength: 64 }),
)
const path = fc.oneof(
  fc.constant('/users/ID'),
  fc.constant('/orders/ID/items/ID'),
  fc.constant('/ID'),
  fc.constant('/users/ID/extra/ID'),
)
const query = fc.string({ maxLength: 4096 }).map((text) => `?q=${encodeURIComponent(text)}`)
const requests = fc.sample(fc.tuple(method, path, query), { numRuns: REQUESTS, seed: 7 })

/** Sends one request; Node's parser answers 400 itself to methods it does not know. */
async function sendOne(app: RunningServer, [verb, template, search]: [string, string, string]) {
  const target = template.replaceAll('ID', () => randomUUID()) + search
  try {
    await send(`${app.url}${target}`, {
      method: verb,
      headers: { 'user-agent': `agent/${'x'.repeat(4096)}`, 'x-request-id': randomUUID() },
    })
  } catch {
    // A connection the server closed on a method it rejects: no request, so no span.
  }
}

describe('10,000 requests with random methods, ids and queries', () => {
  for (const framework of ['express', 'fastify'] as const) {
    it(`${framework}: names from routes and the method set only, http.method known, tags capped`, async () => {
      const tracer = new RecordingTracer()
      const app = await startApp(framework, tracer)
      try {
        await pooled(REQUESTS, 50, (i) => sendOne(app, requests[i] as [string, string, string]))
        await waitFor(() => tracer.openSpans().length === 0, 'every span finished')
      } finally {
        await app.close()
      }
      const spans = tracer.finishedSpans()
      assert.ok(spans.length > REQUESTS / 2, `only ${spans.length} requests reached the app`)
      assertFinishedOnce(spans)
      const names = new Set(spans.map((span) => span.operationName))
      assert.deepEqual(
        [...names].filter((name) => !ALLOWED_NAMES.has(name)),
        [],
      )
      assert.ok(names.size <= ROUTES.length + 2 + KNOWN.length + 1, [...names].join(', '))
      const methods = new Set(spans.map((span) => span.tags['http.method']))
      assert.deepEqual(
        [...methods].filter((m) => !KNOWN.includes(String(m)) && m !== '_OTHER'),
        [],
      )
      assert.ok(methods.has('_OTHER'), 'extension methods were sent and recorded as _OTHER')
      const long = spans.flatMap((span) =>
        Object.entries(span.tags).filter(
          ([, value]) => typeof value === 'string' && value.length > MAX_TAG_LENGTH,
        ),
      )
      assert.deepEqual(long.map(([key]) => key).slice(0, 3), [])
    })
  }
})
