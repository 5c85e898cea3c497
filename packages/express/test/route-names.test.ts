import assert from 'node:assert/strict'
import { describe, it } from 'node:test'
import { tracingErrorHandler } from '@tracehop/express'
import express5, { type NextFunction, type Request, type Response } from 'express'
import express4 from 'express4'
import type { ExpressModule } from '../../../test/support/express-app.js'
import { finishedSpans, listen, send } from '../../../test/support/net.js'
import { useRecordingTracer } from '../../../test/support/recording-tracer.js'
import { spanNames } from './span-names.js'

// Span names from route templates where the mounts above the route are more than one router
// deep: sub-apps inside sub-apps, sub-apps mounted by routers, and one router mounted twice.

const majors: Array<[string, ExpressModule]> = [
  ['Express 5', express5],
  ['Express 4', express4 as unknown as ExpressModule],
]

// What the test reads of an app's router: its layers and their handles.
interface Router {
  stack: Array<{ handle: unknown }>
}

const answer = (_req: Request, res: Response): void => {
  res.send('ok')
}

for (const [label, express] of majors) {
  describe(`${label}: span names of mounted routes`, () => {
    const recording = useRecordingTracer()
    const { tracedApp, namesOf } = spanNames(express, recording)

    it('should keep the mount path of the app above a sub-app mounted at /', async () => {
      const app = tracedApp()
      const api = express()
      const users = express()
      users.get('/users/:id', answer)
      api.use(users)
      app.use('/api', api)
      assert.deepEqual(await namesOf(app, ['/api/users/7', '/api/users/8']), [
        'GET /api/users/:id',
        'GET /api/users/:id',
      ])
    })

    it('should name a route of a router mounted at / without searching the app again', async () => {
      const app = tracedApp()
      const router = express.Router()
      router.get('/users/:id', answer)
      app.use(router)
      // Express 4 keeps the app's router in `_router`, Express 5 in `router`.
      const routers = app as unknown as { _router?: Router; router?: Router }
      const appRouter = routers._router ?? routers.router
      const mount = appRouter?.stack.find((layer) => layer.handle === router)
      assert.ok(mount, "the router's mount layer")
      // Express reads the mount's handle once to dispatch; a search of the app's stack reads it too.
      let reads = 0
      const handle = mount.handle
      Object.defineProperty(mount, 'handle', {
        get: () => {
          reads += 1
          return handle
        },
      })
      const readsPerRequest: number[] = []
      recording.server = await listen(app)
      for (const [index, path] of ['/users/7', '/users/8', '/users/9'].entries()) {
        const before = reads
        assert.equal((await send(`${recording.server.url}${path}`)).status, 200)
        await finishedSpans(recording.tracer, index + 1)
        readsPerRequest.push(reads - before)
      }
      const names = recording.tracer.finishedSpans().map((span) => span.operationName)
      assert.deepEqual(names, ['GET /users/:id', 'GET /users/:id', 'GET /users/:id'])
      assert.ok(readsPerRequest[0]! > 1, 'the first request searched the stack')
      assert.deepEqual(readsPerRequest.slice(1), [1, 1], 'later ones did not')
    })

    it('should name each mount of a router mounted at /v1 and then at /', async () => {
      const app = tracedApp()
      const router = express.Router()
      router.get('/users/:id', answer)
      app.use('/v1', router)
      app.use(router)
      assert.deepEqual(await namesOf(app, ['/users/7', '/v1/users/7', '/users/8']), [
        'GET /users/:id',
        'GET /v1/users/:id',
        'GET /users/:id',
      ])
    })

    it('should name each mount of a router mounted at / and then at /v1', async () => {
      const app = tracedApp()
      const router = express.Router()
      router.get('/users/:id', answer)
      app.use(router)
      app.use('/v1', router)
      assert.deepEqual(await namesOf(app, ['/v1/users/7', '/users/7', '/v1/users/8']), [
        'GET /v1/users/:id',
        'GET /users/:id',
        'GET /v1/users/:id',
      ])
    })

    it('should keep the mount paths above a sub-app mounted by a router', async () => {
      const app = tracedApp()
      const router = express.Router()
      const sub = express()
      sub.get('/users/:id', answer)
      const teams = express()
      teams.get('/:team', answer)
      sub.use('/teams', teams)
      router.use('/v1', sub)
      app.use('/api', router)
      assert.deepEqual(await namesOf(app, ['/api/v1/users/7', '/api/v1/teams/red']), [
        'GET /api/v1/users/:id',
        'GET /api/v1/teams/:team',
      ])
    })

    it('should name a failed route of a sub-app mounted by a router by its mounts', async () => {
      const app = tracedApp()
      const router = express.Router()
      const sub = express()
      sub.get('/jobs/:job', () => {
        throw new Error('job failed')
      })
      router.use('/v1', sub)
      app.use('/api', router)
      app.use(tracingErrorHandler())
      app.use((_error: Error, _req: Request, res: Response, _next: NextFunction) => {
        res.status(500).send('failed')
      })
      recording.server = await listen(app)
      assert.equal((await send(`${recording.server.url}/api/v1/jobs/3`)).status, 500)
      const [span] = await finishedSpans(recording.tracer)
      assert.equal(span?.operationName, 'GET /api/v1/jobs/:job')
      assert.equal(span?.tags.error, true)
    })

    it('should name by the mounts once an app that served requests is mounted by a router', async () => {
      const sub = tracedApp()
      sub.get('/users/:id', answer)
      const direct = await listen(sub)
      try {
        await send(`${direct.url}/users/1`)
        await finishedSpans(recording.tracer, 1)
      } finally {
        await direct.close()
      }
      const app = tracedApp()
      const router = express.Router()
      router.use('/v1', sub)
      app.use('/api', router)
      assert.deepEqual((await namesOf(app, ['/api/v1/users/2'])).slice(1), [
        'GET /api/v1/users/:id',
      ])
    })

    it('should put a mount parameter in its own place when its value is an earlier segment', async () => {
      const app = tracedApp()
      const router = express.Router()
      router.get('/users/:id', answer)
      app.use('/orgs/:org', router)
      const teams = express.Router()
      teams.get('/:id', answer)
      app.use('/teams/:team/members/:member/teams', teams)
      assert.deepEqual(
        await namesOf(app, ['/orgs/orgs/users/1', '/teams/a/members/members/teams/1']),
        ['GET /orgs/:org/users/:id', 'GET /teams/:team/members/:member/teams/:id'],
      )
    })
  })
}
