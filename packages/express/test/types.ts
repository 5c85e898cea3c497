// Type-level tests, checked by `tsc -b` (never run): req.span is typed by declaration merging.
import {
  tracingErrorHandler,
  tracingMiddleware,
  type ExpressTracingOptions,
} from '@tracehop/express'
import express from 'express'
import type { Span } from 'opentracing'

const app = express()
app.use(tracingMiddleware({ ignore: ['/healthz'], traceResponseHeader: true }))
app.get('/users/:id', (req, res) => {
  const span: Span | undefined = req.span
  span?.setTag('user.id', req.params.id)
  // @ts-expect-error req.span may be undefined (ignored request, failing tracer)
  req.span.setTag('x', 1)
  // @ts-expect-error req.span is a Span, not any
  const wrong: number = req.span
  res.json({ wrong })
})
app.use(tracingErrorHandler())

const options: ExpressTracingOptions = {
  // @ts-expect-error trustIncoming takes a boolean or a predicate
  trustIncoming: 'yes',
}
export { options }
