// The servers the browser test's page talks to, each traced by the OTel SDK through
// @tracehop/otel and exporting OTLP/HTTP to one receiver:
// - web (Express): serves the page and its script, forwards the page's OTLP exports to the
//   receiver, and answers GET /api/hello (same origin as the page) by calling inventory;
// - api (Fastify, another port: another origin) answers GET /api/hello by calling inventory, and
//   allows the page's origin and the trace headers through @fastify/cors;
// - inventory (Express) answers GET /items;
// - third-party (plain node:http, another origin the page is not told to trust) records every
//   request's method and headers, and lets any origin call it.
import type { IncomingHttpHeaders } from 'node:http'
import { context, propagation } from '@opentelemetry/api'
import { AsyncLocalStorageContextManager } from '@opentelemetry/context-async-hooks'
import {
  CompositePropagator,
  W3CBaggagePropagator,
  W3CTraceContextPropagator,
} from '@opentelemetry/core'
import { OTLPTraceExporter } from '@opentelemetry/exporter-trace-otlp-http'
import { resourceFromAttributes } from '@opentelemetry/resources'
import { BasicTracerProvider, SimpleSpanProcessor } from '@opentelemetry/sdk-trace-base'
import fastifyCors from '@fastify/cors'
import { traceHeaders } from '@tracehop/core'
import { tracingMiddleware } from '@tracehop/express'
import { tracingPlugin } from '@tracehop/fastify'
import { tracedFetch } from '@tracehop/fetch'
import { createOtelTracer } from '@tracehop/otel'
import express from 'express'
import Fastify from 'fastify'
import type { Tracer } from 'opentracing'
import { listen, listenFastify, type RunningServer } from '../../support/net.js'
import { startOtlpReceiver, type OtlpReceiver } from '../../support/otlp.js'

/** One request a server received. */
export interface ReceivedRequest {
  method: string
  headers: IncomingHttpHeaders
}

/** Every server of the browser test, and the receiver their spans (and the page's) go to. */
export interface Backends {
  receiver: OtlpReceiver
  web: RunningServer
  api: RunningServer
  inventory: RunningServer
  thirdParty: RunningServer
  /** What third-party received, OPTIONS preflights included. */
  thirdPartyReceived: ReceivedRequest[]
  close(): Promise<void>
}

context.setGlobalContextManager(new AsyncLocalStorageContextManager().enable())
propagation.setGlobalPropagator(
  new CompositePropagator({
    propagators: [new W3CTraceContextPropagator(), new W3CBaggagePropagator()],
  }),
)

function tracerFor(service: string, receiver: OtlpReceiver): Tracer {
  const provider = new BasicTracerProvider({
    resource: resourceFromAttributes({ 'service.name': service }),
    spanProcessors: [
      new SimpleSpanProcessor(new OTLPTraceExporter({ url: `${receiver.url}/v1/traces` })),
    ],
  })
  return createOtelTracer({ tracerProvider: provider })
}

/** The page's HTML: its script, nothing else. */
const PAGE_HTML = '<!doctype html><title>tracehop</title><script src="/page.js"></script>'

/** Starts every server; `script` is the page's bundled script. */
export async function startBackends(script: string): Promise<Backends> {
  const receiver = await startOtlpReceiver()

  const inventoryTracer = tracerFor('inventory', receiver)
  const inventoryApp = express()
  inventoryApp.use(tracingMiddleware({ tracer: inventoryTracer }))
  inventoryApp.get('/items', (_req, res) => {
    res.json({ items: 3 })
  })
  const inventory = await listen(inventoryApp)

  /** GET /api/hello: calls inventory, and tells the page the traceparent it received. */
  const hello = async (tracer: Tracer, headers: IncomingHttpHeaders) => {
    const fetchTraced = tracedFetch(fetch, { tracer })
    const items: unknown = await (await fetchTraced(`${inventory.url}/items`)).json()
    return { traceparent: headers.traceparent ?? null, items }
  }

  const webTracer = tracerFor('web', receiver)
  const webApp = express()
  webApp.get('/', (_req, res) => {
    res.type('html').send(PAGE_HTML)
  })
  webApp.get('/page.js', (_req, res) => {
    res.type('js').send(script)
  })
  webApp.post('/v1/traces', express.raw({ type: () => true }), async (req, res) => {
    const forwarded = await fetch(`${receiver.url}/v1/traces`, {
      method: 'POST',
      headers: { 'content-type': req.get('content-type') ?? 'application/json' },
      body: req.body as Buffer,
    })
    res.status(forwarded.status).json({})
  })
  webApp.use(tracingMiddleware({ tracer: webTracer }))
  webApp.get('/api/hello', async (req, res) => {
    res.json(await hello(webTracer, req.headers))
  })
  const web = await listen(webApp)

  const apiTracer = tracerFor('api', receiver)
  const apiApp = Fastify()
  await apiApp.register(fastifyCors, {
    origin: web.url,
    allowedHeaders: ['content-type', ...traceHeaders({ tracer: apiTracer })],
  })
  await apiApp.register(tracingPlugin, { tracer: apiTracer })
  apiApp.get('/api/hello', (request) => hello(apiTracer, request.headers))
  const api = await listenFastify(apiApp)

  const thirdPartyReceived: ReceivedRequest[] = []
  const thirdParty = await listen((req, res) => {
    thirdPartyReceived.push({ method: req.method ?? '', headers: req.headers })
    res.setHeader('access-control-allow-origin', '*')
    res.setHeader('access-control-allow-headers', '*')
    if (req.method === 'OPTIONS') res.writeHead(204).end()
    else res.setHeader('content-type', 'application/json').end('{"ok":true}')
  })

  return {
    receiver,
    web,
    api,
    inventory,
    thirdParty,
    thirdPartyReceived,
    close: async () => {
      for (const server of [thirdParty, api, web, inventory, receiver]) await server.close()
    },
  }
}
