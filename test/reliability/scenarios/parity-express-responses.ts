// Behaviour parity: Express scenarios on responses of every kind (compression, HEAD, ETag/304,
// files and ranges, streaming, redirects, negotiation, cookies), on Express 5 and 4 with and
// without tracing.
import { createGzip } from 'node:zlib'
import { setTimeout as sleep } from 'node:timers/promises'
import type { NextFunction, Request, Response } from 'express'
import type { ExpressScenario } from './parity-express.js'
import { etagOf, fixtures } from '../support/parity-harness.js'

// What the `compression` package does, by hand: res.write/res.end go through a gzip stream.
function gzipMiddleware(req: Request, res: Response, next: NextFunction): void {
  if (!String(req.headers['accept-encoding']).includes('gzip')) {
    next()
    return
  }
  const gzip = createGzip()
  const write = res.write.bind(res) as (chunk: Buffer) => boolean
  const end = res.end.bind(res) as () => Response
  const prepare = () => {
    if (res.headersSent) return
    res.setHeader('content-encoding', 'gzip')
    res.removeHeader('content-length')
    res.vary('accept-encoding')
  }
  gzip.on('data', (chunk: Buffer) => write(chunk))
  gzip.on('end', () => end())
  res.write = ((chunk: string | Buffer) => {
    prepare()
    return gzip.write(chunk)
  }) as Response['write']
  res.end = ((chunk?: string | Buffer) => {
    prepare()
    gzip.end(chunk)
    return res
  }) as Response['end']
  next()
}

export const expressResponseScenarios: readonly ExpressScenario[] = [
  {
    name: 'compression: a gzip middleware wrapping res.write and res.end',
    routes: (app, mark) => {
      app.use(gzipMiddleware)
      app.get('/big', (_req, res) => (mark('route'), res.send('compress me '.repeat(500))))
      app.get('/chunks', (_req, res) => {
        res.type('text')
        for (let i = 0; i < 20; i++) res.write(`chunk ${i}\n`)
        res.end('done')
      })
    },
    probes: [
      { path: '/big', headers: { 'accept-encoding': 'gzip' } },
      { path: '/big' },
      { path: '/chunks', headers: { 'accept-encoding': 'gzip, deflate' } },
    ],
  },
  {
    name: 'HEAD on GET routes',
    routes: (app, mark) => {
      app.get('/page', (_req, res) => (mark('get'), res.send('<p>a page</p>')))
      app.get('/json', (_req, res) => res.json({ a: 1 }))
    },
    probes: [
      { method: 'HEAD', path: '/page' },
      { method: 'HEAD', path: '/json' },
    ],
  },
  {
    name: 'ETag and 304 with If-None-Match',
    routes: (app, mark) =>
      app.get('/cached', (_req, res) => (mark('route'), res.send('cache me '.repeat(20)))),
    probes: [
      { path: '/cached' },
      (previous) => ({ path: '/cached', headers: { 'if-none-match': etagOf(previous[0]) } }),
      { path: '/cached', headers: { 'if-none-match': '"other"' } },
    ],
  },
  {
    name: 'res.sendFile with range and conditional requests',
    routes: (app) =>
      app.get('/file', (_req, res, next) =>
        res.sendFile('hello.txt', { root: fixtures.dir }, (error) => error && next(error)),
      ),
    probes: [
      { path: '/file' },
      { path: '/file', headers: { range: 'bytes=0-9' } },
      { path: '/file', headers: { range: 'bytes=990-' } },
      { path: '/file', headers: { range: 'bytes=5000-6000' } },
      { path: '/file', headers: { range: 'bytes=0-1,5-6' } },
      { path: '/file', headers: { 'if-modified-since': 'Wed, 01 Jan 2025 00:00:00 GMT' } },
    ],
  },
  {
    name: 'express.static: files, directories, ranges and 404s',
    routes: (app, _mark, express) => app.use('/static', express.static(fixtures.dir)),
    probes: [
      { path: '/static/hello.txt' },
      { path: '/static/hello.txt', headers: { range: 'bytes=-5' } },
      { method: 'HEAD', path: '/static/hello.txt' },
      { path: '/static' },
      { path: '/static/missing.txt' },
    ],
  },
  {
    name: 'streaming: chunked writes over time',
    routes: (app, mark) =>
      app.get('/stream', async (_req, res) => {
        mark('route')
        res.type('text/plain')
        for (let i = 0; i < 5; i++) {
          res.write(`part ${i}\n`)
          await sleep(5)
        }
        res.end()
        mark('ended')
      }),
    probes: [{ path: '/stream' }],
  },
  {
    name: 'res.redirect, res.location and res.links',
    routes: (app) => {
      app.get('/old', (_req, res) => res.redirect('/new'))
      app.get('/moved', (_req, res) => res.redirect(301, 'http://example.test/elsewhere'))
      app.get('/loc', (_req, res) => {
        res.links({ next: '/page/2', last: '/page/9' })
        res.location('/there').status(201).end()
      })
    },
    probes: [
      { path: '/old' },
      { path: '/moved' },
      { path: '/loc' },
      { method: 'HEAD', path: '/old' },
    ],
  },
  {
    name: 'res.format content negotiation',
    routes: (app) =>
      app.get('/neg', (_req, res) =>
        res.format({
          'text/plain': () => res.send('text'),
          'application/json': () => res.json({ kind: 'json' }),
        }),
      ),
    probes: [
      { path: '/neg', headers: { accept: 'application/json' } },
      { path: '/neg', headers: { accept: 'text/*' } },
      { path: '/neg', headers: { accept: 'image/png' } },
    ],
  },
  {
    name: 'res.cookie, res.clearCookie and several set-cookie headers',
    routes: (app) =>
      app.get('/cookies', (_req, res) => {
        res.cookie('a', '1', { httpOnly: true, path: '/' })
        res.cookie('b', { nested: true }, { expires: new Date('2030-01-01T00:00:00Z') })
        res.clearCookie('old')
        res.append('set-cookie', 'raw=1; Secure')
        res.send('cookies')
      }),
    probes: [{ path: '/cookies' }],
  },
  {
    name: 'res.download and res.attachment',
    routes: (app) => {
      app.get('/dl', (_req, res) => res.download(`${fixtures.dir}/hello.txt`, 'report.txt'))
      app.get('/att', (_req, res) => res.attachment('data.json').send(Buffer.from('{"x":1}')))
    },
    probes: [{ path: '/dl' }, { path: '/dl', headers: { range: 'bytes=10-19' } }, { path: '/att' }],
  },
  {
    name: 'res.status(204), res.sendStatus and res.end without a body',
    routes: (app) => {
      app.get('/none', (_req, res) => res.status(204).send('dropped'))
      app.get('/status', (_req, res) => res.sendStatus(418))
      app.get('/end', (_req, res) => res.status(202).end())
    },
    probes: [{ path: '/none' }, { path: '/status' }, { path: '/end' }],
  },
  {
    name: 'headers set by middleware, res.vary, res.append and res.set ordering',
    routes: (app) => {
      app.use((_req, res, next) => {
        res.set('x-first', '1')
        res.vary('accept')
        next()
      })
      app.get('/h', (_req, res) => {
        res.append('x-list', ['a', 'b'])
        res.set({ 'x-second': '2', 'cache-control': 'no-store' })
        res.vary('origin')
        res.type('html').send('<b>h</b>')
      })
    },
    probes: [{ path: '/h' }],
  },
  {
    name: 'res.jsonp and json settings',
    routes: (app) => {
      app.set('json spaces', 2)
      app.set('jsonp callback name', 'cb')
      app.get('/p', (_req, res) => res.jsonp({ a: [1, 2] }))
    },
    probes: [{ path: '/p' }, { path: '/p?cb=handle' }],
  },
  {
    name: "res.on('finish') listeners and the order they run in",
    routes: (app, mark) => {
      app.use((_req, res, next) => {
        res.on('finish', () => mark('finish listener'))
        res.on('close', () => mark('close listener'))
        next()
      })
      app.get('/x', (_req, res) => (mark('route'), res.send('x')))
    },
    probes: [{ path: '/x' }, { path: '/x' }],
  },
]
