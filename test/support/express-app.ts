import { setTimeout as sleep } from 'node:timers/promises'
import { traceIds, type ServerTracingOptions } from '@tracehop/core'
import { tracingErrorHandler, tracingMiddleware } from '@tracehop/express'
import type express from 'express'
import type { NextFunction, Request, Response } from 'express'
import { listen, type RunningServer } from './net.js'

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
): (options?: ServerTracingOptions) => Promise<RunningServer> {
  return async (options) => {
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
    return listen(app)
  }
}
