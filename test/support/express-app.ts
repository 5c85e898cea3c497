import { setTimeout as sleep } from 'node:timers/promises'
import { traceIds, type ServerTracingOptions } from '@tracehop/core'
import { tracingErrorHandler, tracingMiddleware } from '@tracehop/express'
import type express from 'express'
import type { NextFunction, Request, Response } from 'express'
import { acceptWebSocket, EVENT_STREAM, eventQuery, eventStream } from './long-lived.js'
import type { RunningServer } from './net.js'
import { listenOn, type Transport } from './transports.js'

/** Express 4 or 5, as the tests import them (both are typed with Express 5's types here). */
export type ExpressModule = typeof express

const asyncRoute =
  (handler: (req: Request, res: Response) => Promise<void>) =>
  (req: Request, res: Response, next: NextFunction): void => {
    handler(req, res).catch(next)
  }

/** The server contract app (see test/contract/server-contract.ts) on `expressModule`. */
export function expressContractApp(
  expressModule: ExpressModule,
): (options?: ServerTracingOptions, transport?: Transport) => Promise<RunningServer> {
  return async (options, transport = 'http') => {
    const app = expressModule()
    if (options !== undefined) app.use(tracingMiddleware(options))
    app.use(expressModule.json())
    app.get('/users/:id', (req, res) => {
      res.json({ id: req.params.id })
    })
    app.get('/fail', () => {
      throw new Error('boom')
    })
    app.get(
      '/async-fail',
      asyncRoute(async () => {
        await sleep(1)
        throw new Error('async boom')
      }),
    )
    app.get('/status/:code', (req, res) => {
      res.status(Number(req.params.code)).send('status')
    })
    app.get(
      '/active',
      asyncRoute(async (req, res) => {
        await sleep(Number(req.query.delay ?? 0))
        const timer = await new Promise<string | undefined>((resolve) =>
          setTimeout(() => resolve(traceIds()?.spanId), 1),
        )
        res.json({ ...traceIds(), timer })
      }),
    )
    app.post('/echo', (req, res) => {
      res.json({ body: req.body as unknown, spanId: traceIds()?.spanId })
    })
    app.get(
      '/stream',
      asyncRoute(async (_req, res) => {
        for (const chunk of ['a', 'b', 'c']) {
          res.write(chunk)
          await sleep(30)
        }
        res.end()
      }),
    )
    app.get('/hang', (_req, res) => {
      res.write('first')
    })
    app.get('/events', (req, res) => {
      const { count, intervalMs } = eventQuery(req.query)
      res.writeHead(200, { 'content-type': EVENT_STREAM, 'cache-control': 'no-cache' })
      eventStream(count, intervalMs).pipe(res)
    })
    app.get('/ws/:room', (req) => acceptWebSocket(req))
    const users = expressModule.Router()
    users.get('/users/:id', (req, res) => {
      res.json({ org: req.baseUrl.split('/')[3], id: req.params.id })
    })
    const v1 = expressModule.Router()
    v1.use('/orgs/:org', users)
    app.use('/v1', v1)
    if (options !== undefined) app.use(tracingErrorHandler())
    app.use((error: Error, _req: Request, res: Response, _next: NextFunction) => {
      res.status(500).json({ error: error.message })
    })
    return listenOn(transport, app, app)
  }
}
