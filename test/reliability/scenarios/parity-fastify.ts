// Behaviour parity: Fastify scenarios on plugins, hooks and errors, run on Fastify 5 and Fastify 4
// with and without tracing (replies of every kind are in parity-fastify-replies.ts).
import { setTimeout as sleep } from 'node:timers/promises'
import type { FastifyInstance } from 'fastify'
import type { FastifyModule } from '../../support/fastify-app.js'
import type { ServerScenario } from '../support/parity-harness.js'

export type FastifyScenario = ServerScenario<FastifyInstance, FastifyModule>

const json = { 'content-type': 'application/json' }

export const fastifyHookScenarios: readonly FastifyScenario[] = [
  {
    name: 'a JSON route and a query string',
    routes: (app, mark) =>
      app.get<{ Params: { id: string } }>('/users/:id', (request) => {
        mark('route')
        return { id: request.params.id, query: request.query }
      }),
    probes: [{ path: '/users/42' }, { path: '/users/42?a=1&a=2' }],
  },
  {
    name: 'setErrorHandler after a synchronous throw and reply.send(err)',
    routes: (app, mark) => {
      app.setErrorHandler((error: Error, _request, reply) => {
        mark(`error handler: ${error.message}`)
        void reply.code(500).send({ error: error.message })
      })
      app.get('/fail', () => {
        throw new Error('boom')
      })
      app.get('/send', (_request, reply) => {
        void reply.send(Object.assign(new Error('sent'), { statusCode: 409 }))
      })
    },
    probes: [{ path: '/fail' }, { path: '/send' }],
  },
  {
    name: 'an async throw reaching the default error handler',
    routes: (app) => {
      app.get('/async', async () => {
        await sleep(1)
        throw Object.assign(new Error('async boom'), { statusCode: 422 })
      })
      app.get('/plain', async () => {
        await sleep(1)
        throw new Error('plain')
      })
    },
    probes: [{ path: '/async' }, { path: '/plain' }],
  },
  {
    name: 'encapsulated plugins with a prefix, their own hooks and decorators',
    routes: async (app, mark) => {
      await app.register(
        (child, _options, done) => {
          child.decorateRequest('tenant', '')
          child.addHook('onRequest', (request, _reply, next) => {
            mark('child onRequest')
            ;(request as unknown as { tenant: string }).tenant = 'acme'
            next()
          })
          child.get('/who', (request) => ({
            tenant: (request as unknown as { tenant: string }).tenant,
          }))
          done()
        },
        { prefix: '/child' },
      )
      await app.register((sibling, _options, done) => {
        sibling.addHook(
          'preHandler',
          (_request, _reply, next) => (mark('sibling preHandler'), next()),
        )
        sibling.get('/sibling', () => ({ tenant: 'none' }))
        done()
      })
      app.get('/root', () => 'root')
    },
    probes: [{ path: '/child/who' }, { path: '/sibling' }, { path: '/root' }],
  },
  {
    name: 'nested plugins with their own error handlers',
    routes: async (app, mark) => {
      app.setErrorHandler((error: Error, _request, reply) => {
        mark('root error handler')
        void reply.code(500).send(`root: ${error.message}`)
      })
      await app.register(
        async (outer) => {
          outer.setErrorHandler((error: Error, _request, reply) => {
            mark('outer error handler')
            void reply.code(503).send(`outer: ${error.message}`)
          })
          outer.get('/fail', () => {
            throw new Error('outer')
          })
          await outer.register(
            (inner, _options, done) => {
              inner.get('/fail', async () => {
                await sleep(1)
                throw new Error('inner')
              })
              done()
            },
            { prefix: '/inner' },
          )
        },
        { prefix: '/outer' },
      )
    },
    probes: [{ path: '/outer/fail' }, { path: '/outer/inner/fail' }],
  },
  {
    name: 'hook order: onRequest, preParsing, preValidation, preHandler, onSend, onResponse',
    routes: (app, mark) => {
      for (const hook of ['onRequest', 'preParsing', 'preValidation', 'preHandler'] as const) {
        app.addHook(hook, async () => {
          mark(hook)
          await sleep(0)
        })
      }
      app.addHook('onSend', async (_request, _reply, payload) => (mark('onSend'), payload))
      app.addHook('onResponse', (_request, _reply, done) => (mark('onResponse'), done()))
      app.post(
        '/hooks',
        { preHandler: (_request, _reply, done) => (mark('route preHandler'), done()) },
        (request) => {
          mark('handler')
          return { body: request.body }
        },
      )
    },
    probes: [{ method: 'POST', path: '/hooks', headers: json, body: '{"a":1}' }],
  },
  {
    name: 'onSend rewriting the payload and its headers',
    routes: (app) => {
      app.addHook('onSend', (_request, reply, payload, done) => {
        void reply.header('x-rewritten', 'yes')
        done(null, typeof payload === 'string' ? payload.toUpperCase() : payload)
      })
      app.get('/text', () => 'lower case')
      app.get('/obj', () => ({ a: 'b' }))
    },
    probes: [{ path: '/text' }, { path: '/obj' }],
  },
  {
    name: 'a hook answering early and a throwing preHandler',
    routes: (app, mark) => {
      app.addHook('onRequest', async (request, reply) => {
        mark(`onRequest ${request.url}`)
        if (request.url === '/gate') await reply.code(401).send('no')
      })
      app.addHook('preHandler', async (request) => {
        await sleep(0)
        if (request.url === '/throws') throw new Error('preHandler failed')
      })
      app.get('/gate', () => (mark('never'), 'never'))
      app.get('/throws', () => (mark('never'), 'never'))
    },
    probes: [{ path: '/gate' }, { path: '/throws' }],
  },
  {
    name: 'schema validation: 400, coercion and response serialization',
    routes: (app) =>
      app.post(
        '/valid',
        {
          schema: {
            body: {
              type: 'object',
              required: ['n'],
              properties: { n: { type: 'integer' } },
            },
            querystring: { type: 'object', properties: { q: { type: 'integer' } } },
            response: {
              200: {
                type: 'object',
                properties: { n: { type: 'integer' }, q: { type: 'integer' } },
              },
            },
          },
        },
        (request) => ({ ...(request.body as object), ...(request.query as object), dropped: 1 }),
      ),
    probes: [
      { method: 'POST', path: '/valid?q=3', headers: json, body: '{"n":1}' },
      { method: 'POST', path: '/valid', headers: json, body: '{"n":"x"}' },
      { method: 'POST', path: '/valid?q=x', headers: json, body: '{"n":1}' },
      { method: 'POST', path: '/valid', headers: json, body: '{"n":' },
      { method: 'POST', path: '/valid', headers: { 'content-type': 'text/csv' }, body: 'a' },
    ],
  },
  {
    name: '404s: the default and setNotFoundHandler in a plugin',
    routes: async (app, mark) => {
      app.get('/here', () => 'here')
      await app.register(
        (api, _options, done) => {
          api.setNotFoundHandler((request, reply) => {
            mark('api not found')
            void reply.code(404).send({ missing: request.url })
          })
          done()
        },
        { prefix: '/api' },
      )
    },
    probes: [{ path: '/nowhere' }, { path: '/api/nowhere' }, { method: 'DELETE', path: '/here' }],
  },
  {
    name: 'route-level hook arrays and onError hooks',
    routes: (app, mark) => {
      app.addHook('onError', async (_request, _reply, error) => mark(`onError ${error.message}`))
      app.get(
        '/arr',
        {
          onRequest: [
            (_request, _reply, done) => (mark('r1'), done()),
            (_request, _reply, done) => (mark('r2'), done()),
          ],
          preHandler: [
            (_request, _reply, done) => (mark('p1'), done()),
            async (request) => {
              await sleep(0)
              mark('p2')
              if ((request.query as { fail?: string }).fail) throw new Error('p2 failed')
            },
          ],
        },
        () => (mark('handler'), 'arr'),
      )
    },
    probes: [{ path: '/arr' }, { path: '/arr?fail=1' }],
  },
]
