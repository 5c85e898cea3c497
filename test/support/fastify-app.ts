import { PassThrough, Readable } from 'node:stream'
import { setTimeout as sleep } from 'node:timers/promises'
import { traceIds, type ServerTracingOptions } from '@tracehop/core'
import { tracingPlugin } from '@tracehop/fastify'
import type { FastifyInstance, FastifyServerOptions } from 'fastify'
import { acceptWebSocket, EVENT_STREAM, eventQuery, eventStream } from './long-lived.js'
import { listenFastify, type RunningServer } from './net.js'
import { fastifyTransport, isTls, routeUpgrades, type Transport } from './transports.js'

/** The factory of Fastify 4 or 5, for an HTTP/1 server (typed with Fastify 5's types here). */
export type FastifyModule = (options?: FastifyServerOptions) => FastifyInstance

/** The server contract app (see test/contract/server-contract.ts) on `fastifyModule`. */
export function fastifyContractApp(
  fastifyModule: FastifyModule,
): (options?: ServerTracingOptions, transport?: Transport) => Promise<RunningServer> {
  return async (options, transport = 'http') => {
    const app = fastifyModule({ forceCloseConnections: true, ...fastifyTransport(transport) })
    if (options !== undefined) await app.register(tracingPlugin, options)
    app.setErrorHandler((error: Error, _request, reply) => {
      void reply.code(500).send({ error: error.message })
    })
    app.get<{ Params: { id: string } }>('/users/:id', (request) => ({ id: request.params.id }))
    app.get('/fail', () => {
      throw new Error('boom')
    })
    app.get('/async-fail', async () => {
      await sleep(1)
      throw new Error('async boom')
    })
    app.get<{ Params: { code: string } }>('/status/:code', (request, reply) => {
      void reply.code(Number(request.params.code)).send('status')
    })
    app.get<{ Querystring: { delay?: string } }>('/active', async (request) => {
      await sleep(Number(request.query.delay ?? 0))
      const timer = await new Promise<string | undefined>((resolve) =>
        setTimeout(() => resolve(traceIds()?.spanId), 1),
      )
      return { ...traceIds(), timer }
    })
    app.post('/echo', (request) => ({ body: request.body, spanId: traceIds()?.spanId }))
    app.get('/stream', (_request, reply) => {
      const chunks = async function* () {
        for (const chunk of ['a', 'b', 'c']) {
          yield chunk
          await sleep(30)
        }
      }
      return reply.type('text/plain').send(Readable.from(chunks()))
    })
    app.get('/hang', (_request, reply) => {
      const stream = new PassThrough()
      stream.write('first')
      return reply.type('text/plain').send(stream)
    })
    app.get('/events', (request, reply) => {
      const { count, intervalMs } = eventQuery(request.query)
      return reply
        .type(EVENT_STREAM)
        .header('cache-control', 'no-cache')
        .send(eventStream(count, intervalMs))
    })
    app.get('/ws/:room', (request, reply) => {
      reply.hijack()
      acceptWebSocket(request.raw)
    })
    await app.register(
      async (v1) => {
        await v1.register(
          (orgs, _options, done) => {
            orgs.get<{ Params: { org: string; id: string } }>('/users/:id', (request) => ({
              org: request.params.org,
              id: request.params.id,
            }))
            done()
          },
          { prefix: '/orgs/:org' },
        )
      },
      { prefix: '/v1' },
    )
    const running = await listenFastify(app, isTls(transport) ? 'https' : 'http')
    if (transport !== 'http' && transport !== 'https') return running
    // As @fastify/websocket does: upgrade requests go through Fastify's router and hooks.
    const closeUpgraded = routeUpgrades(app.server, (req, res) => app.routing(req, res))
    return {
      ...running,
      close: () => {
        closeUpgraded()
        return running.close()
      },
    }
  }
}
