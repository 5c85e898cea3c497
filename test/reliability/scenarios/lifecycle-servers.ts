// The apps of the server lifecycle matrix (lifecycle-server.test.ts): each route ends a request one
// way (hanging, chunked, uploading, throwing, rejecting, next(err), next('route'), a throwing
// hook, hijacked, ETag), on Express 5 and 4 and Fastify 5 and 4, plus a copy with a 150 ms
// server timeout.
import http from 'node:http'
import { PassThrough } from 'node:stream'
import { setTimeout as sleep } from 'node:timers/promises'
import { tracingErrorHandler, tracingMiddleware } from '@tracehop/express'
import { tracingPlugin } from '@tracehop/fastify'
import express, { type NextFunction, type Request, type Response } from 'express'
import express4 from 'express4'
import fastify from 'fastify'
import fastify4 from 'fastify4'
import type { ExpressModule } from '../../support/express-app.js'
import type { FastifyModule } from '../../support/fastify-app.js'
import { listen, listenFastify, type RunningServer } from '../../support/net.js'
import type { StartTagTracer } from '../support/lifecycle.js'

export const ETAG = '"v1"'
const TIMEOUT_MS = 150

export type Kind = 'express' | 'fastify'
export interface Framework {
  name: string
  kind: Kind
  /** Starts the app, and the same app with a 150 ms server timeout. */
  start(tracer: StartTagTracer): Promise<{ app: RunningServer; timed: RunningServer }>
}

const failing = async (message: string): Promise<never> => {
  await sleep(1)
  throw new Error(message)
}

function expressFramework(name: string, module: ExpressModule, nativeAsync: boolean): Framework {
  const build = (tracer: StartTagTracer) => {
    const app = module()
    app.use(tracingMiddleware({ tracer }))
    app.get('/hang', () => undefined)
    app.get('/chunked', (_req, res) => res.write('first'))
    app.post('/upload', module.raw({ type: '*/*' }), (_req, res) => res.send('got'))
    app.get('/throw', () => {
      throw new Error('sync boom')
    })
    // Express 5 handles a rejected promise itself; Express 4 needs it passed to next().
    if (nativeAsync) app.get('/reject', () => failing('async boom'))
    else app.get('/reject', (_req, _res, next) => void failing('async boom').catch(next))
    app.get('/next-error', (_req, _res, next) => next(new Error('passed on')))
    app.get('/route/:id', (_req, _res, next) => next('route'))
    app.get('/route/:id', (_req, res) => res.send('second'))
    app.get('/raw', (_req, res) => {
      res.socket?.end('HTTP/1.1 200 OK\r\ncontent-length: 3\r\nconnection: close\r\n\r\nraw')
    })
    app.get('/etag', (_req, res) => res.set('etag', ETAG).send('the same body'))
    app.use(tracingErrorHandler())
    app.use(
      (error: Error & { status?: number }, _req: Request, res: Response, _n: NextFunction) => {
        res.status(error.status ?? 500).json({ error: error.message })
      },
    )
    return app
  }
  return {
    name,
    kind: 'express',
    async start(tracer) {
      const app = build(tracer)
      const timedServer = http.createServer(app)
      timedServer.setTimeout(TIMEOUT_MS)
      return { app: await listen(app), timed: await listen(timedServer) }
    },
  }
}

function fastifyFramework(name: string, module: FastifyModule): Framework {
  const build = async (tracer: StartTagTracer, connectionTimeout?: number) => {
    const app = module({
      forceCloseConnections: true,
      ...(connectionTimeout && { connectionTimeout }),
    })
    await app.register(tracingPlugin, { tracer })
    app.addHook('onRequest', (request, _reply, done) => {
      if (request.url.startsWith('/hook-throws')) throw new Error('hook boom')
      done()
    })
    app.get('/hang', () => new Promise<never>(() => undefined))
    app.get('/chunked', (_request, reply) => {
      const stream = new PassThrough()
      stream.write('first')
      return reply.send(stream)
    })
    app.post('/upload', () => 'got')
    app.get('/throw', () => {
      throw new Error('sync boom')
    })
    app.get('/reject', () => failing('async boom'))
    app.get('/next-error', (_request, reply) => reply.send(new Error('passed on')))
    app.get('/hook-throws', () => 'unreachable')
    app.get('/hijack', (_request, reply) => {
      reply.hijack()
      reply.raw.writeHead(200, { 'content-type': 'text/plain' }).end('hijacked')
    })
    app.get('/etag', (request, reply) => {
      if (request.headers['if-none-match'] === ETAG) return reply.code(304).send()
      return reply.header('etag', ETAG).send('the same body')
    })
    return listenFastify(app)
  }
  return {
    name,
    kind: 'fastify',
    start: async (tracer) => ({ app: await build(tracer), timed: await build(tracer, TIMEOUT_MS) }),
  }
}

/** The four server frameworks of the matrix. */
export const FRAMEWORKS: Framework[] = [
  expressFramework('Express 5', express, true),
  expressFramework('Express 4', express4 as unknown as ExpressModule, false),
  fastifyFramework('Fastify 5', fastify as FastifyModule),
  fastifyFramework('Fastify 4', fastify4 as unknown as FastifyModule),
]
