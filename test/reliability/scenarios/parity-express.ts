// Behaviour parity: Express scenarios on errors, routing and bodies, run on Express 5 and Express 4
// with and without tracing (responses of every kind are in parity-express-responses.ts).
import { setTimeout as sleep } from 'node:timers/promises'
import type { Express, NextFunction, Request, RequestHandler, Response } from 'express'
import type { ExpressModule } from '../../support/express-app.js'
import type { Mark, ServerScenario } from '../support/parity-harness.js'

export type ExpressScenario = ServerScenario<Express, ExpressModule>

const step =
  (mark: Mark, name: string): RequestHandler =>
  (_req, _res, next) => {
    mark(name)
    next()
  }

// An express-async-errors-style wrapper: a rejected promise becomes next(err).
const wrap =
  (handler: (req: Request, res: Response) => Promise<unknown>): RequestHandler =>
  (req, res, next) => {
    handler(req, res).catch(next)
  }

// A user error handler that answers with the message (and passes on once headers are out).
const answerErrors = (app: Express, mark: Mark) =>
  app.use((error: Error, _req: Request, res: Response, next: NextFunction) => {
    mark(`error handler: ${error.message}`)
    if (res.headersSent) {
      next(error)
      return
    }
    res.status((error as { status?: number }).status ?? 500).json({ error: error.message })
  })

const json = { 'content-type': 'application/json' }

export const expressRoutingScenarios: readonly ExpressScenario[] = [
  {
    name: 'a JSON route',
    routes: (app, mark) =>
      app.get('/users/:id', (req, res) => (mark('route'), res.json(req.params))),
    probes: [{ path: '/users/42' }, { path: '/users/42?x=1' }],
  },
  {
    name: 'a 4-argument error handler after a synchronous throw',
    routes: (app, mark) =>
      app.get('/fail', () => {
        mark('route')
        throw new Error('boom')
      }),
    errors: answerErrors,
    probes: [{ path: '/fail' }],
  },
  {
    name: 'next(err) with a status on the error',
    routes: (app, mark) =>
      app.get('/teapot', (_req, _res, next) => {
        mark('route')
        next(Object.assign(new Error('short and stout'), { status: 418 }))
      }),
    errors: answerErrors,
    probes: [{ path: '/teapot' }],
  },
  {
    name: 'an async error through an express-async-errors-style wrapper',
    routes: (app, mark) =>
      app.get(
        '/async',
        wrap(async () => {
          mark('route')
          await sleep(1)
          throw new Error('async boom')
        }),
      ),
    errors: answerErrors,
    probes: [{ path: '/async' }],
  },
  {
    name: 'an Express 5 handler whose promise rejects',
    majors: [5],
    routes: (app, mark) =>
      app.get('/rejects', async () => {
        mark('route')
        await sleep(1)
        throw new Error('rejected')
      }),
    errors: answerErrors,
    probes: [{ path: '/rejects' }],
  },
  {
    name: 'errors reaching the default handler (no user error handler)',
    routes: (app) => {
      app.get('/sync', () => {
        throw new Error('boom')
      })
      app.get('/status', (_req, _res, next) => next(Object.assign(new Error('x'), { status: 403 })))
    },
    probes: [{ path: '/sync' }, { path: '/status' }],
  },
  {
    name: "next('route') skips to the next matching route",
    routes: (app, mark) => {
      app.get(
        '/items/:id',
        (req, _res, next) => (mark('first'), next(req.params.id === 'skip' ? 'route' : undefined)),
        (_req, res) => (mark('first, second'), res.send('first')),
      )
      app.get('/items/:id', (_req, res) => (mark('second route'), res.send('second')))
    },
    probes: [{ path: '/items/skip' }, { path: '/items/keep' }],
  },
  {
    name: "next('router') leaves a router",
    routes: (app, mark, express) => {
      const router = express.Router()
      router.use((req, _res, next) => (mark('router'), next(req.query.out ? 'router' : undefined)))
      router.get('/r', (_req, res) => (mark('router route'), res.send('inside')))
      app.use(router)
      app.get('/r', (_req, res) => (mark('app route'), res.send('outside')))
    },
    probes: [{ path: '/r' }, { path: '/r?out=1' }],
  },
  {
    name: 'res.locals set by an earlier middleware',
    routes: (app, mark) => {
      app.use((_req, res, next) => {
        mark('locals')
        res.locals.user = { name: 'ada' }
        res.locals.keys = Object.keys(res.locals)
        next()
      })
      app.get('/me', (_req, res) => (mark('route'), res.json(res.locals)))
    },
    probes: [{ path: '/me' }],
  },
  {
    name: 'express.json: a malformed body is a 400, an oversized one a 413',
    routes: (app, mark, express) => {
      app.use(express.json({ limit: '64b' }))
      app.post('/body', (req, res) => (mark('route'), res.json({ got: req.body as unknown })))
    },
    errors: answerErrors,
    probes: [
      { method: 'POST', path: '/body', headers: json, body: '{"a":1}' },
      { method: 'POST', path: '/body', headers: json, body: '{"a":' },
      { method: 'POST', path: '/body', headers: json, body: `{"a":"${'x'.repeat(200)}"}` },
      { method: 'POST', path: '/body', headers: { 'content-type': 'text/plain' }, body: 'plain' },
    ],
  },
  {
    name: 'express.json errors reaching the default handler',
    routes: (app, _mark, express) => {
      app.use(express.json({ limit: '16b' }))
      app.post('/body', (req, res) => res.json(req.body))
    },
    probes: [
      { method: 'POST', path: '/body', headers: json, body: '{bad' },
      { method: 'POST', path: '/body', headers: json, body: JSON.stringify({ a: 'x'.repeat(99) }) },
    ],
  },
  {
    name: 'express.urlencoded and express.text bodies',
    routes: (app, _mark, express) => {
      app.use(express.urlencoded({ extended: false }))
      app.use(express.text())
      app.post('/form', (req, res) => res.json({ body: req.body as unknown }))
    },
    probes: [
      {
        method: 'POST',
        path: '/form',
        headers: { 'content-type': 'application/x-www-form-urlencoded' },
        body: 'a=1&b=two&a=3',
      },
      { method: 'POST', path: '/form', headers: { 'content-type': 'text/plain' }, body: 'hi' },
    ],
  },
  {
    name: 'middleware order with app.use mounted at a path',
    routes: (app, mark) => {
      app.use(step(mark, 'global'))
      app.use('/api', step(mark, 'api'))
      app.use('/api/v1', step(mark, 'api/v1'))
      app.use('/other', step(mark, 'other'))
      app.get('/api/v1/x', (req, res) => (mark('route'), res.send(req.baseUrl + '|' + req.path)))
    },
    probes: [{ path: '/api/v1/x' }, { path: '/api/nothing' }],
  },
  {
    name: 'nested routers with mergeParams',
    routes: (app, mark, express) => {
      const users = express.Router({ mergeParams: true })
      users.use(step(mark, 'users router'))
      users.get('/:user', (req, res) => (mark('route'), res.json(req.params)))
      const orgs = express.Router()
      orgs.use('/:org/users', users)
      app.use('/orgs', orgs)
    },
    probes: [{ path: '/orgs/acme/users/7' }, { path: '/orgs/acme/teams/7' }],
  },
  {
    name: 'a sub-app with its own settings and error handler',
    routes: (app, mark, express) => {
      const sub = express()
      sub.set('etag', false)
      sub.set('x-powered-by', false)
      sub.get(
        '/hello',
        (req, res) => (mark('sub'), res.send(`${req.baseUrl} ${String(sub.mountpath)}`)),
      )
      sub.get('/fail', () => {
        throw new Error('sub failed')
      })
      sub.use((error: Error, _req: Request, res: Response, _next: NextFunction) => {
        mark('sub error handler')
        res.status(502).send(error.message)
      })
      app.use('/sub', sub)
    },
    probes: [{ path: '/sub/hello' }, { path: '/sub/fail' }],
  },
  {
    name: 'router.param and app.param handlers',
    routes: (app, mark, express) => {
      const router = express.Router()
      router.param('id', (req, _res, next, id) => {
        mark(`param ${String(id)}`)
        ;(req as Request & { item?: string }).item = `item-${String(id)}`
        next(id === 'bad' ? new Error('bad id') : undefined)
      })
      router.get('/items/:id', (req, res) => res.send((req as Request & { item?: string }).item))
      router.get('/items/:id/again', (_req, res) => res.send('again'))
      app.use(router)
    },
    errors: answerErrors,
    probes: [{ path: '/items/3' }, { path: '/items/bad' }, { path: '/items/4/again' }],
  },
  {
    name: 'app.all and app.route chains for several methods',
    routes: (app, mark) => {
      app.all('/any', (req, _res, next) => (mark(`all ${req.method}`), next()))
      app
        .route('/any')
        .get((_req, res) => res.send('get'))
        .post((_req, res) => res.status(201).send('post'))
    },
    probes: [
      { path: '/any' },
      { method: 'POST', path: '/any' },
      { method: 'DELETE', path: '/any' },
      { method: 'OPTIONS', path: '/any' },
    ],
  },
  {
    name: 'strict routing and case sensitivity',
    routes: (app, mark, express) => {
      app.set('strict routing', true)
      app.set('case sensitive routing', true)
      const router = express.Router({ strict: true, caseSensitive: true })
      router.get('/Foo/', (_req, res) => (mark('slash'), res.send('slash')))
      router.get('/Foo', (_req, res) => (mark('no slash'), res.send('no slash')))
      app.use(router)
    },
    probes: [{ path: '/Foo' }, { path: '/Foo/' }, { path: '/foo' }],
  },
  {
    name: 'an error after the headers were sent (the socket is destroyed)',
    routes: (app, mark) =>
      app.get('/late', (_req, res, next) => {
        mark('route')
        res.write('partial')
        next(new Error('late'))
      }),
    errors: answerErrors,
    probes: [{ path: '/late' }],
  },
  {
    name: 'a middleware answering before any route, and 404s',
    routes: (app, mark) => {
      app.use((req, res, next) => {
        mark(`gate ${req.path}`)
        if (req.path === '/blocked') res.status(401).send('no')
        else next()
      })
      app.get('/open', (_req, res) => res.send('open'))
    },
    probes: [
      { path: '/blocked' },
      { path: '/open' },
      { path: '/nowhere' },
      { method: 'POST', path: '/open' },
    ],
  },
]
