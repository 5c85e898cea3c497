// docs/guides/opentelemetry.md: the OpenTelemetry SDK set up as usual, then one line hands it to
// tracehop; a tracehop-traced Express service whose handler also uses OTel's own API.
import { context, propagation, trace } from '@opentelemetry/api'
import { AsyncLocalStorageContextManager } from '@opentelemetry/context-async-hooks'
import { W3CTraceContextPropagator } from '@opentelemetry/core'
import { resourceFromAttributes } from '@opentelemetry/resources'
import { BasicTracerProvider, type SpanProcessor } from '@opentelemetry/sdk-trace-base'
import { tracingErrorHandler, tracingMiddleware } from '@tracehop/express'
import { tracedFetch } from '@tracehop/fetch'
import { createOtelTracer } from '@tracehop/otel'
import express from 'express'
import { initGlobalTracer } from 'opentracing'

/** Sets up the OTel SDK for `serviceName`, spans to `processor`; returns its shutdown. */
export function setUpTracing(serviceName: string, processor: SpanProcessor): () => Promise<void> {
  // The SDK set-up you already have (NodeTracerProvider.register() registers the same three).
  const provider = new BasicTracerProvider({
    resource: resourceFromAttributes({ 'service.name': serviceName }),
    spanProcessors: [processor],
  })
  trace.setGlobalTracerProvider(provider)
  context.setGlobalContextManager(new AsyncLocalStorageContextManager().enable())
  propagation.setGlobalPropagator(new W3CTraceContextPropagator())
  // Then, once: every tracehop adapter traces into the SDK.
  initGlobalTracer(createOtelTracer())
  return () => provider.shutdown()
}

/** The orders service: `GET /orders/:id` reserves stock at `stockUrl` inside an OTel span. */
export function createOrdersApp(stockUrl: string): express.Express {
  const fetchTraced = tracedFetch()
  const otelTracer = trace.getTracer('orders')
  const app = express()
  app.use(tracingMiddleware())
  app.get('/orders/:id', async (req, res) => {
    // OTel's API and tracehop share one context: this span is the request span's child, and the
    // call below is this span's child.
    const stock = await otelTracer.startActiveSpan('reserve stock', async (span) => {
      span.setAttribute('order.id', req.params.id)
      const response = await fetchTraced(`${stockUrl}/stock/${req.params.id}`)
      span.end()
      return response.status
    })
    res.json({ id: req.params.id, stock })
  })
  app.use(tracingErrorHandler())
  return app
}
