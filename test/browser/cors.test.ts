// traceHeaders() with real tracers, and with the cors package and @fastify/cors answering real
// preflight requests on 127.0.0.1: every header a traced call sends is one the preflight allows,
// and the backend continues the caller's trace.
import '../support/otel-sdk.js'
import assert from 'node:assert/strict'
import type { IncomingHttpHeaders } from 'node:http'
import { after, describe, it } from 'node:test'
import fastifyCors from '@fastify/cors'
import { TRACE_HEADERS, traceHeaders } from '@tracehop/core'
import { tracingMiddleware } from '@tracehop/express'
import { tracingPlugin } from '@tracehop/fastify'
import { tracedFetch } from '@tracehop/fetch'
import { createOtelTracer } from '@tracehop/otel'
import { RecordingTracer } from '@tracehop/testing'
import cors from 'cors'
import express from 'express'
import Fastify from 'fastify'
import jaeger from 'jaeger-client'
import { FORMAT_HTTP_HEADERS, Tracer as NoopTracer } from 'opentracing'
import { finishedSpans, listen, listenFastify, send, type RunningServer } from '../support/net.js'

const PAGE_ORIGIN = 'http://page.example'
const silent = { info: () => undefined, error: () => undefined }

describe('traceHeaders()', () => {
  const jaegerTracer = jaeger.initTracer(
    { serviceName: 'cors', sampler: { type: 'const', param: 1 } },
    { logger: silent },
  )
  after(() => new Promise<void>((resolve) => jaegerTracer.close(resolve)))

  it('lists the headers the OTel SDK writes through @tracehop/otel (W3C context and baggage)', () => {
    assert.deepEqual(traceHeaders({ tracer: createOtelTracer() }).sort(), [
      'baggage',
      'traceparent',
      'tracestate',
    ])
  })

  it("lists jaeger-client's header, and one per baggage key named", () => {
    assert.deepEqual(traceHeaders({ tracer: jaegerTracer }), ['uber-trace-id'])
    assert.deepEqual(traceHeaders({ tracer: jaegerTracer, baggageKeys: ['tenant'] }).sort(), [
      'uber-trace-id',
      'uberctx-tenant',
    ])
  })

  it('lists every B3 header a child span sends, not only those of the sample context', () => {
    const b3Tracer = jaeger.initTracer(
      {
        serviceName: 'cors-b3',
        sampler: { type: 'const', param: 1 },
        reporter: { logSpans: false },
      },
      { logger: silent },
    )
    try {
      const codec = new jaeger.ZipkinB3TextMapCodec({ urlEncoding: true })
      b3Tracer.registerInjector(FORMAT_HTTP_HEADERS, codec)
      b3Tracer.registerExtractor(FORMAT_HTTP_HEADERS, codec)
      const allowed = traceHeaders({ tracer: b3Tracer })
      const child = b3Tracer.startSpan('GET api', { childOf: b3Tracer.startSpan('page') })
      const sent: Record<string, string> = {}
      b3Tracer.inject(child.context(), FORMAT_HTTP_HEADERS, sent)
      assert.ok('x-b3-parentspanid' in sent, 'a child span sends its parent id')
      for (const name of Object.keys(sent)) assert.ok(allowed.includes(name), `${name} allowed`)
    } finally {
      b3Tracer.close()
    }
  })

  it("lists RecordingTracer's W3C headers", () => {
    assert.deepEqual(traceHeaders({ tracer: new RecordingTracer() }).sort(), [
      'baggage',
      'traceparent',
    ])
  })

  it('falls back to the common formats for a tracer that writes nothing or throws', () => {
    assert.deepEqual(traceHeaders({ tracer: new NoopTracer() }), [...TRACE_HEADERS])
    const throwing = new NoopTracer()
    throwing.extract = () => {
      throw new Error('extract failed')
    }
    const listed = traceHeaders({ tracer: throwing, baggageKeys: ['Tenant'] })
    assert.deepEqual(listed, [...TRACE_HEADERS, 'uberctx-tenant', 'ot-baggage-tenant'])
  })
})

/** A backend that records the headers each request brought, behind one CORS policy. */
interface CorsBackend {
  server: RunningServer
  received: IncomingHttpHeaders[]
}

async function expressBackend(tracer: RecordingTracer, allowed: string[]): Promise<CorsBackend> {
  const received: IncomingHttpHeaders[] = []
  const app = express()
  app.use(cors({ origin: PAGE_ORIGIN, allowedHeaders: allowed }))
  app.use(tracingMiddleware({ tracer }))
  app.get('/api', (req, res) => {
    received.push(req.headers)
    res.json({ ok: true })
  })
  return { server: await listen(app), received }
}

async function fastifyBackend(tracer: RecordingTracer, allowed: string[]): Promise<CorsBackend> {
  const received: IncomingHttpHeaders[] = []
  const app = Fastify()
  await app.register(fastifyCors, { origin: PAGE_ORIGIN, allowedHeaders: allowed })
  await app.register(tracingPlugin, { tracer })
  app.get('/api', (request) => {
    received.push(request.headers)
    return { ok: true }
  })
  return { server: await listenFastify(app), received }
}

/** The header names a preflight for `requested` allowed, as a browser reads them. */
async function preflight(url: string, requested: string[]): Promise<string[]> {
  const response = await send(url, {
    method: 'OPTIONS',
    headers: {
      origin: PAGE_ORIGIN,
      'access-control-request-method': 'GET',
      'access-control-request-headers': requested.join(','),
    },
  })
  assert.equal(response.status, 204)
  assert.equal(response.headers['access-control-allow-origin'], PAGE_ORIGIN)
  const allowed = response.headers['access-control-allow-headers'] ?? ''
  return allowed.split(',').map((name) => name.trim().toLowerCase())
}

for (const [framework, start] of [
  ['cors with Express', expressBackend],
  ['@fastify/cors with Fastify', fastifyBackend],
] as const) {
  describe(`${framework}: allowedHeaders from traceHeaders()`, () => {
    it('allows every header a traced call sends, and the backend continues its trace', async () => {
      const tracer = new RecordingTracer()
      const backend = await start(tracer, ['content-type', ...traceHeaders({ tracer })])
      try {
        const url = `${backend.server.url}/api`
        const fetchTraced = tracedFetch(fetch, { tracer })
        const response = await fetchTraced(url, { headers: { origin: PAGE_ORIGIN } })
        assert.equal(response.status, 200)
        assert.equal(response.headers.get('access-control-allow-origin'), PAGE_ORIGIN)
        const [headers] = backend.received
        assert.ok(headers?.traceparent !== undefined, 'the call carried a traceparent')
        const sent = traceHeaders({ tracer }).filter((name) => headers[name] !== undefined)
        const allowed = await preflight(url, sent)
        for (const name of sent) assert.ok(allowed.includes(name), `${name} allowed`)

        const spans = await finishedSpans(tracer, 2)
        const client = spans.find((span) => span.tags['span.kind'] === 'client')
        const server = spans.find((span) => span.tags['span.kind'] === 'server')
        assert.ok(client !== undefined && server !== undefined)
        assert.equal(server.traceId, client.traceId)
        assert.equal(server.parentId, client.spanId)
      } finally {
        await backend.server.close()
      }
    })

    it('a policy without them does not allow traceparent', async () => {
      const backend = await start(new RecordingTracer(), ['content-type'])
      try {
        const allowed = await preflight(`${backend.server.url}/api`, ['traceparent'])
        assert.deepEqual(allowed, ['content-type'])
      } finally {
        await backend.server.close()
      }
    })
  })
}
