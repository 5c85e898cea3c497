// Type-level tests, checked by `tsc -b` (never run): request.span is typed by declaration merging.
import { tracingPlugin, type FastifyTracingOptions } from '@tracehop/fastify'
import fastify from 'fastify'
import type { Span } from 'opentracing'

const app = fastify()
await app.register(tracingPlugin, { ignore: ['/healthz'], traceResponseHeader: 'trace-id' })
app.get('/users/:id', (request) => {
  const span: Span | null = request.span
  span?.setTag('user', 1)
  // @ts-expect-error request.span is null when the request is not traced
  request.span.setTag('x', 1)
  return { ok: true }
})

// @ts-expect-error unknown option
const wrong: FastifyTracingOptions = { tracr: null }
export { wrong }
