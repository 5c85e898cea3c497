import assert from 'node:assert/strict'
import http from 'node:http'
import { describe, it } from 'node:test'
import { setTimeout as sleep } from 'node:timers/promises'
import { activeSpan } from '@tracehop/core'
import { tracingErrorHandler, tracingMiddleware } from '@tracehop/express'
import { RecordingTracer } from '@tracehop/testing'
import express5, { type Request, type Response } from 'express'
import express4 from 'express4'
import type { ExpressModule } from '../../../test/support/express-app.js'
import { finishedSpans, listen, send } from '../../../test/support/net.js'
import { useRecordingTracer } from '../../../test/support/recording-tracer.js'

// req.span without a `span` property added to req (its handle is kept under a non-enumerable
// symbol), and the end of a response without a listener added to res: what each request would
// otherwise pay for (see request-spans.ts).

const majors: Array<[string, ExpressModule]> = [
  ['Express 5', express5],
  ['Express 4', express4 as unknown as ExpressModule],
]

interface Seen {
  span: unknown
  active: boolean
  own: boolean
  keys: string
  closeListeners: number
}

// A handler that answers 'ok' after noting what it saw of req.span into `seen`.
function describingHandler(seen: Seen[]) {
  return (req: Request, res: Response): void => {
    seen.push({
      span: req.span,
      active: req.span !== undefined && req.span === activeSpan(),
      own: Object.prototype.hasOwnProperty.call(req, 'span'),
      keys: Object.keys(req).sort().join(),
      closeListeners: res.listenerCount('close'),
    })
    res.send('ok')
  }
}

for (const [label, express] of majors) {
  describe(`${label}: req.span`, () => {
    const recording = useRecordingTracer()
    const serve = async (app: ReturnType<ExpressModule>) => {
      recording.server = await listen(app)
      return recording.server.url
    }

    it('should be the active span with no enumerable property or listener added per request', async () => {
      const seen: Seen[] = []
      const app = express()
      app.get('/untraced', describingHandler(seen))
      app.use(tracingMiddleware({ tracer: recording.tracer }))
      app.get('/traced', describingHandler(seen))
      const url = await serve(app)
      await send(`${url}/untraced`)
      await send(`${url}/traced`)
      const [span] = await finishedSpans(recording.tracer, 1)
      assert.equal(span?.operationName, 'GET /traced')
      const [untraced, traced] = seen
      assert.deepEqual(
        { ...untraced, span: undefined },
        { ...traced, span: undefined, active: false },
      )
      assert.equal(untraced?.span, undefined)
      assert.equal(traced?.active, true)
      assert.equal(traced?.own, false)
    })

    it('should reach the handlers of a mounted sub-app', async () => {
      const seen: Seen[] = []
      const sub = express()
      sub.get('/users/:id', describingHandler(seen))
      const app = express()
      app.use(tracingMiddleware({ tracer: recording.tracer }))
      app.use('/v1', sub)
      const url = await serve(app)
      await send(`${url}/v1/users/7`)
      const [span] = await finishedSpans(recording.tracer, 1)
      assert.equal(span?.operationName, 'GET /v1/users/:id')
      assert.equal(seen[0]?.active, true)
    })

    it('should let a handler assign req.span for its own request only', async () => {
      const replaced = { replaced: true }
      const seen: unknown[] = []
      const app = express()
      app.use(tracingMiddleware({ tracer: recording.tracer }))
      app.get('/replace', (req, res) => {
        ;(req as { span?: unknown }).span = replaced
        seen.push(req.span)
        res.send('ok')
      })
      app.get('/next', (req, res) => {
        seen.push(req.span === activeSpan() && req.span !== undefined)
        res.send('ok')
      })
      const url = await serve(app)
      await send(`${url}/replace`)
      await send(`${url}/next`)
      await finishedSpans(recording.tracer, 2)
      assert.deepEqual(seen, [replaced, true])
    })

    it('should leave req.span undefined on an ignored request', async () => {
      const seen: unknown[] = []
      const app = express()
      app.use(tracingMiddleware({ tracer: recording.tracer, ignore: ['/healthz'] }))
      app.get('/healthz', (req, res) => {
        seen.push(req.span)
        res.send('ok')
      })
      const url = await serve(app)
      await send(`${url}/healthz`)
      assert.deepEqual(seen, [undefined])
      assert.equal(recording.tracer.spans().length, 0)
    })
  })
}

describe('tracingMiddleware outside Express', () => {
  it('should set req.span as a plain property on a bare http request', async () => {
    const tracer = new RecordingTracer()
    const middleware = tracingMiddleware({ tracer })
    const seen: unknown[] = []
    const server = await listen((req, res) => {
      middleware(req as Request, res as Response, () => {
        const span = (req as Request).span
        seen.push(span !== undefined && span === activeSpan(), Object.hasOwn(req, 'span'))
        res.end('ok')
      })
    })
    try {
      await send(`${server.url}/plain`)
      const [span] = await finishedSpans(tracer, 1)
      assert.equal(span?.tags['http.status_code'], 200)
      assert.deepEqual(seen, [true, true])
      assert.equal(Object.hasOwn(http.IncomingMessage.prototype, 'span'), false)
    } finally {
      await server.close()
    }
  })
})

const isTracehopKey = (key: string | symbol) =>
  typeof key === 'symbol' && key.description?.startsWith('tracehop.') === true

describe('a request that refuses properties', () => {
  it('should keep its span for req.span, the error handler and a second middleware', async () => {
    const tracer = new RecordingTracer()
    const middleware = tracingMiddleware({ tracer })
    const recordError = tracingErrorHandler()
    const seen: boolean[] = []
    const server = await listen((raw, res) => {
      // A wrapper that refuses the property tracehop keeps on the request, as a request proxy
      // may refuse properties it does not know (Node's own, which it defines lazily, it takes).
      const req = new Proxy(raw, {
        defineProperty: (target, key, descriptor) =>
          !isTracehopKey(key) && Reflect.defineProperty(target, key, descriptor),
      }) as Request
      middleware(req, res as Response, () => {
        middleware(req, res as Response, () => {
          seen.push(req.span !== undefined && req.span === activeSpan())
          recordError(new Error('recorded'), req, res as Response, () => res.end('ok'))
        })
      })
    })
    try {
      await send(`${server.url}/proxied`)
      await finishedSpans(tracer, 1)
      // A second span, had the second middleware not seen the first one's, would be done by now.
      await sleep(20)
      const spans = tracer.finishedSpans()
      assert.deepEqual(seen, [true])
      assert.equal(spans.length, 1)
      assert.equal(spans[0]?.tags['error.message'], 'recorded')
    } finally {
      await server.close()
    }
  })
})
