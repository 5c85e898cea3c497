// docs/guides/opentelemetry.md: the OpenTelemetry SDK set up as usual, then one line hands it to
// tracehop; a tracehop-traced Express service whose handler also uses OTel's own API.
import { context, propagation, SpanStatusCode, trace } from '@opentelemetry/api'
import { AsyncLocalStorageContextManager } from '@opentelemetry/context-async-hooks'
import {
  CompositePropagator,
  W3CBaggagePropagator,
  W3CTraceContextPropagator,
} from '@opentelemetry/core'
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
  // Trace context and baggage, as register() sets them: without the baggage propagator, baggage
  // (tracehop's setBaggageItem included) stops at this service.
  propagation.setGlobalPropagator(
    new CompositePropagator({
      propagators: [new W3CTraceContextPropagator(), new W3CBaggagePropagator()],
    }),
  )
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
      try {
        const response = await fetchTraced(`${stockUrl}/stock/${req.params.id}`)
        return response.status
      } catch (error) {
        // OTel's startActiveSpan leaves ending the span, and recording a failure, to you.
        span.recordException(error as Error)
        span.setStatus({ code: SpanStatusCode.ERROR, message: String(error) })
        throw error
      } finally {
        span.end()
      }
    })
    res.json({ id: req.params.id, stock })
  })
  app.use(tracingErrorHandler())
  return app
}
