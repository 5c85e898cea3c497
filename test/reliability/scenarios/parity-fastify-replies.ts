// Behaviour parity: Fastify scenarios on replies of every kind (HEAD, ETag/304, hijack, streams,
// redirects, parsers, serializers, header order, trailers), on Fastify 5 and 4 with and without
// tracing.
import { createHash } from 'node:crypto'
import { Readable } from 'node:stream'
import { setTimeout as sleep } from 'node:timers/promises'
import type { FastifyScenario } from './parity-fastify.js'
import { etagOf } from '../support/parity-harness.js'

export const fastifyReplyScenarios: readonly FastifyScenario[] = [
  {
    name: 'HEAD from exposeHeadRoute and an explicit HEAD route',
    routes: (app) => {
      app.get('/page', (_request, reply) => reply.type('text/html').send('<p>page</p>'))
      app.get('/stream', () => Readable.from(['a', 'b']))
      app.head('/custom', (_request, reply) => reply.header('x-custom', '1').send())
    },
    probes: [
      { method: 'HEAD', path: '/page' },
      { method: 'HEAD', path: '/stream' },
      { method: 'HEAD', path: '/custom' },
    ],
  },
  {
    name: 'ETag and 304 done by hand',
    routes: (app) =>
      app.get('/cached', (request, reply) => {
        const body = 'cache me '.repeat(20)
        const etag = `"${createHash('sha1').update(body).digest('hex')}"`
        void reply.header('etag', etag)
        if (request.headers['if-none-match'] === etag) return reply.code(304).send()
        return reply.send(body)
      }),
    probes: [
      { path: '/cached' },
      (previous) => ({ path: '/cached', headers: { 'if-none-match': etagOf(previous[0]) } }),
    ],
  },
  {
    name: 'reply.hijack() writing to the raw response',
    routes: (app, mark) =>
      app.get('/raw', async (_request, reply) => {
        mark('route')
        reply.hijack()
        reply.raw.writeHead(200, { 'content-type': 'text/plain', 'x-raw': '1' })
        reply.raw.write('raw ')
        await sleep(2)
        reply.raw.end('body')
      }),
    probes: [{ path: '/raw' }, { path: '/raw' }],
  },
  {
    name: 'a Readable stream body and a Buffer body',
    routes: (app) => {
      app.get('/stream', (_request, reply) => {
        const chunks = async function* () {
          for (const chunk of ['a', 'b', 'c']) {
            yield chunk
            await sleep(3)
          }
        }
        return reply.type('text/plain').send(Readable.from(chunks()))
      })
      app.get('/buffer', (_request, reply) => reply.send(Buffer.from([0, 1, 2, 255])))
    },
    probes: [{ path: '/stream' }, { path: '/buffer' }],
  },
  {
    name: 'reply.redirect',
    routes: (app) => {
      app.get('/old', (_request, reply) => reply.redirect('/new'))
      app.get('/moved', (_request, reply) => reply.code(301).redirect('http://example.test/x'))
    },
    probes: [{ path: '/old' }, { path: '/moved' }],
  },
  {
    name: 'a custom content-type parser and a body limit (413)',
    routes: (app) => {
      app.addContentTypeParser('text/csv', { parseAs: 'string', bodyLimit: 64 }, (_r, body, done) =>
        done(null, String(body).split(',')),
      )
      app.post('/csv', (request) => ({ cells: request.body }))
    },
    probes: [
      { method: 'POST', path: '/csv', headers: { 'content-type': 'text/csv' }, body: 'a,b,c' },
      {
        method: 'POST',
        path: '/csv',
        headers: { 'content-type': 'text/csv' },
        body: 'x,'.repeat(100),
      },
      { method: 'POST', path: '/csv', headers: { 'content-type': 'text/other' }, body: 'a' },
    ],
  },
  {
    name: 'custom reply serializers',
    routes: (app) => {
      app.setReplySerializer((payload) => `<${JSON.stringify(payload)}>`)
      app.get('/global', () => ({ a: 1 }))
      app.get('/route', (_request, reply) =>
        reply
          .serializer(() => 'custom')
          .type('text/x-custom')
          .send({ b: 2 }),
      )
    },
    probes: [{ path: '/global' }, { path: '/route' }],
  },
  {
    name: 'reply.header ordering, set-cookie arrays and removed headers',
    routes: (app) => {
      app.addHook('onRequest', async (_request, reply) => {
        void reply.header('x-first', '1').header('x-remove', 'gone')
      })
      app.get('/h', (_request, reply) => {
        void reply.headers({ 'x-second': '2', 'cache-control': 'no-store' })
        void reply.header('set-cookie', ['a=1', 'b=2']).header('set-cookie', 'c=3')
        void reply.removeHeader('x-remove')
        return reply.code(201).send('h')
      })
    },
    probes: [{ path: '/h' }],
  },
  {
    name: 'reply.code(204) and empty replies',
    routes: (app) => {
      app.get('/none', (_request, reply) => reply.code(204).send())
      app.get('/undefined', async (_request, reply) => {
        await reply.code(202).send()
      })
    },
    probes: [{ path: '/none' }, { path: '/undefined' }],
  },
  {
    name: 'decorators on the instance, the request and the reply',
    routes: (app) => {
      app.decorate('greeting', 'hello')
      app.decorateReply('shout', function (this: { send: (body: string) => unknown }, s: string) {
        return this.send(s.toUpperCase())
      })
      app.get('/decorated', (_request, reply) =>
        (reply as unknown as { shout: (s: string) => unknown }).shout(
          (app as unknown as { greeting: string }).greeting,
        ),
      )
    },
    probes: [{ path: '/decorated' }],
  },
  {
    name: 'reply trailers',
    routes: (app) =>
      app.get('/trailer', (_request, reply) => {
        void reply.trailer('x-checksum', (_reply, payload, done) =>
          done(null, String(payload).length.toString()),
        )
        return reply.send('with a trailer')
      }),
    probes: [{ path: '/trailer', headers: { te: 'trailers' } }],
  },
]
