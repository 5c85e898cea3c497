// A service traced by tracehop through @tracehop/otel in a process where OpenTelemetry's HTTP and
// undici instrumentations are enabled too, as users enable them. It serves one request, which
// calls a downstream once with axios and once with fetch, then prints what the SDK recorded and
// what the downstream received, as JSON. TRUST_INCOMING=false puts tracehop at a public edge;
// an empty TRACEPARENT sends the request with none; DROP_EDGE=true samples out the first root span
// started, the HTTP instrumentation's for the request.
import { once } from 'node:events'
import { createRequire } from 'node:module'
import net from 'node:net'
import type * as OpentelemetrySdkTraceNodeModule from '@opentelemetry/sdk-trace-node'
import type * as OpentelemetrySdkTraceBaseModule from '@opentelemetry/sdk-trace-base'
import type * as OpentelemetryInstrumentationModule from '@opentelemetry/instrumentation'
import type * as OpentelemetryInstrumentationHttpModule from '@opentelemetry/instrumentation-http'
import type * as OpentelemetryInstrumentationUndiciModule from '@opentelemetry/instrumentation-undici'
import type * as NodeHttpModule from 'node:http'
import type expressModule from 'express'
import type axiosModule from 'axios'
import type * as TracehopExpressModule from '@tracehop/express'
import type * as TracehopAxiosModule from '@tracehop/axios'
import type * as TracehopFetchModule from '@tracehop/fetch'
import type * as TracehopOtelModule from '@tracehop/otel'
import type * as OpentracingModule from 'opentracing'

const require = createRequire(import.meta.url)

// The SDK and the instrumentations first: they patch modules as these load.
const { NodeTracerProvider } =
  require('@opentelemetry/sdk-trace-node') as typeof OpentelemetrySdkTraceNodeModule
const { InMemorySpanExporter, ParentBasedSampler, SamplingDecision, SimpleSpanProcessor } =
  require('@opentelemetry/sdk-trace-base') as typeof OpentelemetrySdkTraceBaseModule
const { registerInstrumentations } =
  require('@opentelemetry/instrumentation') as typeof OpentelemetryInstrumentationModule
const { HttpInstrumentation } =
  require('@opentelemetry/instrumentation-http') as typeof OpentelemetryInstrumentationHttpModule
const { UndiciInstrumentation } =
  require('@opentelemetry/instrumentation-undici') as typeof OpentelemetryInstrumentationUndiciModule

const exporter = new InMemorySpanExporter()
let roots = 0
const sampler = new ParentBasedSampler({
  root: {
    shouldSample: () => ({
      decision:
        roots++ === 0 && process.env.DROP_EDGE === 'true'
          ? SamplingDecision.NOT_RECORD
          : SamplingDecision.RECORD_AND_SAMPLED,
    }),
    toString: () => 'drops the first root span when DROP_EDGE=true',
  },
})
const provider = new NodeTracerProvider({
  sampler,
  spanProcessors: [new SimpleSpanProcessor(exporter)],
})
provider.register()
registerInstrumentations({
  instrumentations: [new HttpInstrumentation(), new UndiciInstrumentation()],
})

const http = require('node:http') as typeof NodeHttpModule
const express = require('express') as typeof expressModule
const axios = require('axios') as typeof axiosModule
const { tracingMiddleware } = require('@tracehop/express') as typeof TracehopExpressModule
const { registerTracingInterceptor } = require('@tracehop/axios') as typeof TracehopAxiosModule
const { tracedFetch } = require('@tracehop/fetch') as typeof TracehopFetchModule
const { createOtelTracer } = require('@tracehop/otel') as typeof TracehopOtelModule
const { initGlobalTracer } = require('opentracing') as typeof OpentracingModule

interface Received {
  path: string
  traceparents: string[]
}

async function main(): Promise<void> {
  const received: Received[] = []
  const downstream = http.createServer((req, res) => {
    const traceparents: string[] = []
    for (let i = 0; i < req.rawHeaders.length; i += 2) {
      if (req.rawHeaders[i]?.toLowerCase() === 'traceparent')
        traceparents.push(req.rawHeaders[i + 1] ?? '')
    }
    received.push({ path: req.url ?? '', traceparents })
    res.end('ok')
  })
  downstream.listen(0, '127.0.0.1')
  await once(downstream, 'listening')
  const downstreamUrl = `http://127.0.0.1:${(downstream.address() as net.AddressInfo).port}`

  // One tracer for every adapter, as a user writes it.
  initGlobalTracer(createOtelTracer())
  const client = axios.create()
  registerTracingInterceptor(client)
  const fetch = tracedFetch()
  // Node's fetch as apps often pass it: bound, so not the global itself.
  const boundFetch = tracedFetch(globalThis.fetch.bind(globalThis))
  const app = express()
  const trustIncoming = process.env.TRUST_INCOMING !== 'false'
  app.use(tracingMiddleware({ trustIncoming }))
  app.get('/orders/:id', async (_req, res) => {
    await client.get(`${downstreamUrl}/axios`)
    await (await fetch(`${downstreamUrl}/fetch`)).text()
    await (await boundFetch(`${downstreamUrl}/fetch-bound`)).text()
    res.send('done')
  })
  const server = app.listen(0, '127.0.0.1')
  await once(server, 'listening')

  // Sent over a plain socket, so that no instrumentation makes a client span for the caller.
  const socket = net.connect((server.address() as net.AddressInfo).port, '127.0.0.1')
  await once(socket, 'connect')
  const traceparent = process.env.TRACEPARENT ?? ''
  socket.write(
    'GET /orders/7 HTTP/1.1\r\nHost: shop\r\nConnection: close\r\n' +
      (traceparent === '' ? '' : `traceparent: ${traceparent}\r\n`) +
      '\r\n',
  )
  let answer = ''
  socket.on('data', (chunk: Buffer) => (answer += chunk.toString()))
  await once(socket, 'end')
  await new Promise((resolve) => setTimeout(resolve, 50))
  await provider.forceFlush()
  const spans = exporter.getFinishedSpans().map((span) => ({
    name: span.name,
    kind: span.kind,
    scope: span.instrumentationScope.name,
    traceId: span.spanContext().traceId,
    spanId: span.spanContext().spanId,
    parentId: span.parentSpanContext?.spanId,
  }))
  console.log(JSON.stringify({ status: answer.split(' ')[1], spans, received }))
  server.close()
  downstream.close()
  await provider.shutdown()
}

void main()
