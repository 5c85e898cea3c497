// docs/guides/from-zipkin.md, the "after" side: a service that used zipkin-instrumentation-express
// and zipkin-instrumentation-axiosjs, traced by tracehop into the OTel SDK's Zipkin exporter, with
// B3 headers so that services still on zipkin-js share its traces.
import { context, propagation, trace } from '@opentelemetry/api'
import { AsyncLocalStorageContextManager } from '@opentelemetry/context-async-hooks'
import { CompositePropagator, W3CTraceContextPropagator } from '@opentelemetry/core'
import { ZipkinExporter } from '@opentelemetry/exporter-zipkin'
import { B3InjectEncoding, B3Propagator } from '@opentelemetry/propagator-b3'
import { resourceFromAttributes } from '@opentelemetry/resources'
import { BasicTracerProvider, BatchSpanProcessor } from '@opentelemetry/sdk-trace-base'
import { registerTracingInterceptor } from '@tracehop/axios'
import { tracingErrorHandler, tracingMiddleware } from '@tracehop/express'
import { createOtelTracer } from '@tracehop/otel'
import axios from 'axios'
import express from 'express'
import { initGlobalTracer } from 'opentracing'

/**
 * Sends `serviceName`'s spans to Zipkin at `zipkinUrl` (default: the exporter's, or
 * OTEL_EXPORTER_ZIPKIN_ENDPOINT) and reads and writes B3; returns the provider.
 */
export function setUpZipkin(serviceName: string, zipkinUrl?: string): BasicTracerProvider {
  const exporter = new ZipkinExporter(zipkinUrl === undefined ? {} : { url: zipkinUrl })
  const provider = new BasicTracerProvider({
    resource: resourceFromAttributes({ 'service.name': serviceName }),
    spanProcessors: [new BatchSpanProcessor(exporter)],
  })
  trace.setGlobalTracerProvider(provider)
  context.setGlobalContextManager(new AsyncLocalStorageContextManager().enable())
  // X-B3-* headers, as zipkin-js sends and reads them, and W3C traceparent for the services
  // after the move (a request carrying both is continued from traceparent, the last one).
  propagation.setGlobalPropagator(
    new CompositePropagator({
      propagators: [
        new B3Propagator({ injectEncoding: B3InjectEncoding.MULTI_HEADER }),
        new W3CTraceContextPropagator(),
      ],
    }),
  )
  initGlobalTracer(createOtelTracer())
  return provider
}

/** The frontend service: `GET /users/:id` asks the backend at `backendUrl` with axios. */
export function createFrontendApp(backendUrl: string): express.Express {
  const backend = axios.create({ baseURL: backendUrl })
  registerTracingInterceptor(backend)
  const app = express()
  app.use(tracingMiddleware())
  app.get('/users/:id', async (req, res) => {
    const { data } = await backend.get<unknown>(`/api/users/${req.params.id}`)
    res.json(data)
  })
  app.use(tracingErrorHandler())
  return app
}
