import assert from 'node:assert/strict'
import http from 'node:http'
import { afterEach, describe, it } from 'node:test'
import { activeSpan, traceIds } from '@tracehop/core'
import { tracingErrorHandler, tracingMiddleware } from '@tracehop/express'
import { RecordingTracer } from '@tracehop/testing'
import express5, { type NextFunction, type Request, type Response } from 'express'
import express4 from 'express4'
import { Tracer, initGlobalTracer } from 'opentracing'
import type { ExpressModule } from '../../../test/support/express-app.js'
import { abortAfter, finishedSpans, listen, send, waitFor } from '../../../test/support/net.js'
import { useRecordingTracer } from '../../../test/support/recording-tracer.js'

const majors: Array<[string, ExpressModule]> = [
  ['Express 5', express5],
  ['Express 4', express4 as unknown as ExpressModule],
]

for (const [label, express] of majors) {
  describe(`${label}: tracingMiddleware`, () => {
    // One test installs its recording tracer as the global one: the next must not inherit it,
    // even after a failed test (a failing afterEach hook skips the hooks registered after it).
    afterEach(() => {
      initGlobalTracer(new Tracer())
    })
    const recording = useRecordingTracer()
    const serve = async (app: ReturnType<ExpressModule>) => {
      recording.server = await listen(app)
      return recording.server.url
    }
    const finished = (count = 1) => finishedSpans(recording.tracer, count)

    it('should use a global tracer initialised after app.use()', async () => {
      const app = express()
      app.use(tracingMiddleware())
      app.get('/x', (_req, res) => res.send('ok'))
      const url = await serve(app)
      initGlobalTracer(recording.tracer)
      await send(`${url}/x`)
      assert.equal((await finished())[0]?.operationName, 'GET /x')
    })

    it('should expose req.span and keep it active in later middleware and urlencoded bodies', async () => {
      const app = express()
      app.use(tracingMiddleware({ tracer: recording.tracer }))
      app.use(express.urlencoded({ extended: false }))
      app.use((req, _res, next) => {
        req.body = { ...(req.body as object), later: activeSpan() === req.span }
        next()
      })
      app.post('/form', (req, res) => {
        res.json({ body: req.body as unknown, same: activeSpan() === req.span, ids: traceIds() })
      })
      const url = await serve(app)
      const response = await send(`${url}/form`, {
        method: 'POST',
        headers: { 'content-type': 'application/x-www-form-urlencoded' },
        body: 'a=1&b=two',
      })
      const seen = JSON.parse(response.body) as {
        body: Record<string, unknown>
        same: boolean
        ids: { spanId: string }
      }
      assert.deepEqual(seen.body, { a: '1', b: 'two', later: true })
      assert.equal(seen.same, true)
      assert.equal(seen.ids.spanId, (await finished())[0]?.spanId)
    })

    it('should finish once, as aborted and without status, when the client leaves before any response', async () => {
      const app = express()
      app.use(tracingMiddleware({ tracer: recording.tracer }))
      app.get('/never', () => undefined)
      const url = await serve(app)
      await abortAfter(`${url}/never`, 30)
      const [span] = await finished()
      assert.equal(span?.tags['http.aborted'], true)
      assert.equal(span?.tags['http.status_code'], undefined)
      assert.equal(span?.tags.error, undefined)
      assert.equal(span?.operationName, 'GET /never')
    })

    it('should finish once, as a failure and not an abort, when the server times the connection out', async () => {
      const app = express()
      app.use(tracingMiddleware({ tracer: recording.tracer }))
      app.get('/stuck', () => undefined)
      const httpServer = http.createServer(app)
      httpServer.setTimeout(100)
      recording.server = await listen(httpServer)
      await assert.rejects(send(`${recording.server.url}/stuck`))
      const [span] = await finished()
      assert.equal(span?.operationName, 'GET /stuck')
      assert.equal(span?.tags.error, true)
      assert.equal(span?.tags['http.aborted'], undefined)
      assert.equal(span?.tags['error.type'], 'ConnectionTimeoutError')
    })

    it("should name by the route that answered after next('route')", async () => {
      const app = express()
      app.use(tracingMiddleware({ tracer: recording.tracer }))
      app.get('/items/:id', (req, _res, next) =>
        req.params.id === 'skip' ? next('route') : next(),
      )
      app.get('/items/:id', (_req, res) => res.send('item'))
      const url = await serve(app)
      assert.equal((await send(`${url}/items/skip`)).body, 'item')
      assert.equal((await finished())[0]?.operationName, 'GET /items/:id')
    })

    it('should include the mount path of sub-apps and of routers that errored', async () => {
      const app = express()
      app.use(tracingMiddleware({ tracer: recording.tracer }))
      const api = express()
      api.get('/things/:thing', (_req, res) => res.send('thing'))
      app.use('/api', api)
      const router = express.Router()
      router.get('/jobs/:job', () => {
        throw new Error('job failed')
      })
      app.use('/teams/:team', router)
      app.use(tracingErrorHandler())
      app.use((_error: Error, _req: Request, res: Response, _next: NextFunction) => {
        res.status(500).send('failed')
      })
      const url = await serve(app)
      await send(`${url}/api/things/1`)
      await send(`${url}/teams/red/jobs/7`)
      const names = (await finished(2)).map((span) => span.operationName).sort()
      assert.deepEqual(names, ['GET /api/things/:thing', 'GET /teams/:team/jobs/:job'])
    })

    it('should name by the mount path once an app that already served requests is mounted', async () => {
      const api = express()
      api.use(tracingMiddleware({ tracer: recording.tracer }))
      api.get('/things/:thing', (_req, res) => res.send('thing'))
      const direct = await listen(api)
      try {
        await send(`${direct.url}/things/1`)
        await send(`${direct.url}/things/2`)
      } finally {
        await direct.close()
      }
      const app = express()
      app.use('/v1', api)
      const url = await serve(app)
      await send(`${url}/v1/things/3`)
      const names = (await finished(3)).map((span) => span.operationName)
      assert.deepEqual(names, ['GET /things/:thing', 'GET /things/:thing', 'GET /v1/things/:thing'])
    })

    it('should trace a request once when the middleware is installed twice', async () => {
      const app = express()
      app.use(tracingMiddleware({ tracer: recording.tracer }))
      const router = express.Router()
      router.use(tracingMiddleware({ tracer: recording.tracer }))
      router.get('/twice', (_req, res) => res.send('ok'))
      app.use(router)
      const url = await serve(app)
      await send(`${url}/twice`)
      await finished()
      assert.equal(recording.tracer.spans().length, 1)
    })

    it('should record a 500 from Express itself when no error handler is installed', async () => {
      const app = express()
      app.use(tracingMiddleware({ tracer: recording.tracer }))
      app.get('/crash', () => {
        throw new Error('unhandled')
      })
      const url = await serve(app)
      assert.equal((await send(`${url}/crash`)).status, 500)
      const [span] = await finished()
      assert.equal(span?.tags.error, true)
      assert.deepEqual(
        span?.logs.map((log) => log.fields.message),
        ['HTTP status 500'],
      )
    })

    it('should record an error even when the app answers it with a 4xx, unless isError says otherwise', async () => {
      const app = express()
      app.use(tracingMiddleware({ tracer: recording.tracer }))
      app.get('/invalid', (_req, _res, next) => next(new Error('invalid input')))
      app.use(tracingErrorHandler())
      app.use((_error: Error, _req: Request, res: Response, _next: NextFunction) => {
        res.status(422).send('invalid')
      })
      const url = await serve(app)
      assert.equal((await send(`${url}/invalid`)).status, 422)
      const [span] = await finished()
      assert.equal(span?.tags.error, true)
      assert.equal(span?.logs[0]?.fields.message, 'invalid input')
      assert.equal(span?.tags['http.status_code'], 422)
      await recording.server?.close()
      recording.tracer.reset()
      const lenient = express()
      lenient.use(
        tracingMiddleware({
          tracer: recording.tracer,
          isError: ({ statusCode }) => (statusCode ?? 500) >= 500,
        }),
      )
      lenient.get('/invalid', (_req, _res, next) => next(new Error('invalid input')))
      lenient.use(tracingErrorHandler())
      lenient.use((_error: Error, _req: Request, res: Response, _next: NextFunction) => {
        res.status(422).send('invalid')
      })
      await send(`${await serve(lenient)}/invalid`)
      assert.equal((await finished())[0]?.tags.error, undefined)
    })

    it('should not count the body parser error of an aborted upload as a failure', async () => {
      const app = express()
      app.use(tracingMiddleware({ tracer: recording.tracer }))
      app.use(express.json())
      app.post('/upload', (_req, res) => res.send('never'))
      app.use(tracingErrorHandler())
      app.use((_error: Error, _req: Request, res: Response, _next: NextFunction) => {
        res.status(400).send('bad body')
      })
      const url = new URL(`${await serve(app)}/upload`)
      await new Promise<void>((resolve) => {
        const request = http.request(url, {
          method: 'POST',
          agent: false,
          headers: { 'content-type': 'application/json', 'content-length': '1000' },
        })
        request.on('error', () => resolve())
        request.write('{"partial":')
        setTimeout(() => {
          request.destroy()
          resolve()
        }, 50)
      })
      const [span] = await finished()
      assert.equal(span?.tags['http.aborted'], true)
      assert.equal(span?.tags.error, undefined)
    })

    it('should refuse an invalid traceResponseHeader name up front and answer as usual', async () => {
      const reported: string[] = []
      const app = express()
      app.use(
        tracingMiddleware({
          tracer: recording.tracer,
          traceResponseHeader: 'bad header',
          onError: (_error, where) => reported.push(where),
        }),
      )
      app.get('/x', (_req, res) => res.send('ok'))
      const response = await send(`${await serve(app)}/x`)
      assert.equal(response.status, 200)
      assert.equal(response.body, 'ok')
      assert.deepEqual(reported, ['traceResponseHeader'])
      assert.equal((await finished()).length, 1)
    })

    it('should answer HEAD like the app does, with one span', async () => {
      const app = express()
      app.use(tracingMiddleware({ tracer: recording.tracer }))
      app.get('/x', (_req, res) => res.send('body'))
      const url = await serve(app)
      const response = await send(`${url}/x`, { method: 'HEAD' })
      assert.equal(response.status, 200)
      assert.equal(response.body, '')
      const [span] = await finished()
      assert.equal(span?.operationName, 'HEAD /x')
      assert.equal(span?.tags['http.status_code'], 200)
    })
  })
}

describe('the exported handlers', () => {
  it('should keep the arity Express dispatches on, and their names', () => {
    assert.equal(tracingMiddleware().length, 3)
    assert.equal(tracingErrorHandler().length, 4)
    assert.equal(tracingMiddleware().name, 'tracehopExpressMiddleware')
    assert.equal(tracingErrorHandler().name, 'tracehopExpressErrorHandler')
  })
})

describe('Express 5: a rejected async handler, without a wrapper', () => {
  it('should reach tracingErrorHandler and be recorded', async () => {
    const tracer = new RecordingTracer()
    const app = express5()
    app.use(tracingMiddleware({ tracer }))
    app.get('/async', async () => {
      await Promise.resolve()
      throw new RangeError('native rejection')
    })
    app.use(tracingErrorHandler())
    app.use((error: Error, _req: Request, res: Response, _next: NextFunction) => {
      res.status(500).send(error.message)
    })
    const server = await listen(app)
    try {
      assert.equal((await send(`${server.url}/async`)).body, 'native rejection')
      await waitFor(() => tracer.finishedSpans().length === 1, 'the span')
      const log = tracer.finishedSpans()[0]?.logs[0]?.fields
      assert.equal(log?.['error.kind'], 'RangeError')
      assert.equal(log?.message, 'native rejection')
    } finally {
      await server.close()
    }
  })
})
