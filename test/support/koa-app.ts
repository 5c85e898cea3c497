import { PassThrough } from 'node:stream'
import { setTimeout as sleep } from 'node:timers/promises'
import { bodyParser } from '@koa/bodyparser'
import Router from '@koa/router'
import { traceIds, type ServerTracingOptions } from '@tracehop/core'
import { koaTracing } from '@tracehop/example-koa'
import Koa from 'koa'
import { acceptWebSocket, EVENT_STREAM, eventQuery, eventStream } from './long-lived.js'
import type { RunningServer } from './net.js'
import { listenOn, type AnyListener, type Transport } from './transports.js'

/** The server contract app (see test/contract/server-contract.ts) on Koa, with examples/koa. */
export function koaContractApp(): (
  options?: ServerTracingOptions,
  transport?: Transport,
) => Promise<RunningServer> {
  return async (options, transport = 'http') => {
    const app = new Koa()
    // The app's own error handler, outside the tracing middleware so that errors pass through it.
    app.use(async (ctx, next) => {
      try {
        await next()
      } catch (error) {
        ctx.status = 500
        ctx.body = { error: (error as Error).message }
      }
    })
    if (options !== undefined) app.use(koaTracing(options))
    app.use(bodyParser())
    const router = new Router()
    router.get('/users/:id', (ctx) => {
      ctx.body = { id: ctx.params.id }
    })
    router.get('/fail', () => {
      throw new Error('boom')
    })
    router.get('/async-fail', async () => {
      await sleep(1)
      throw new Error('async boom')
    })
    router.get('/status/:code', (ctx) => {
      ctx.status = Number(ctx.params.code)
      ctx.body = 'status'
    })
    router.get('/active', async (ctx) => {
      await sleep(Number(ctx.query.delay ?? 0))
      const timer = await new Promise<string | undefined>((resolve) =>
        setTimeout(() => resolve(traceIds()?.spanId), 1),
      )
      ctx.body = { ...traceIds(), timer }
    })
    router.post('/echo', (ctx) => {
      ctx.body = { body: ctx.request.body, spanId: traceIds()?.spanId }
    })
    router.get('/stream', (ctx) => {
      const stream = new PassThrough()
      ctx.type = 'text/plain'
      ctx.body = stream
      void (async () => {
        for (const chunk of ['a', 'b', 'c']) {
          stream.write(chunk)
          await sleep(30)
        }
        stream.end()
      })()
    })
    router.get('/hang', (ctx) => {
      const stream = new PassThrough()
      stream.write('first')
      ctx.type = 'text/plain'
      ctx.body = stream
    })
    router.get('/events', (ctx) => {
      const { count, intervalMs } = eventQuery(ctx.query)
      ctx.type = EVENT_STREAM
      ctx.set('cache-control', 'no-cache')
      ctx.body = eventStream(count, intervalMs)
    })
    router.get('/ws/:room', (ctx) => {
      ctx.respond = false
      acceptWebSocket(ctx.req)
    })
    const users = new Router()
    users.get('/users/:id', (ctx) => {
      ctx.body = { org: ctx.params.org, id: ctx.params.id }
    })
    const v1 = new Router({ prefix: '/v1' })
    v1.use('/orgs/:org', users.routes())
    app.use(router.routes())
    app.use(v1.routes())
    const handle = app.callback()
    const listener: AnyListener = (req, res) => void handle(req, res)
    return listenOn(transport, listener, listener)
  }
}
