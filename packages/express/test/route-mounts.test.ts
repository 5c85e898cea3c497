import assert from 'node:assert/strict'
import { describe, it } from 'node:test'
import express5, { type Request, type Response } from 'express'
import express4 from 'express4'
import type { ExpressModule } from '../../../test/support/express-app.js'
import { useRecordingTracer } from '../../../test/support/recording-tracer.js'
import { spanNames } from './span-names.js'

// Span names under mount patterns that are not plain segments (a trailing slash, alternatives, a
// RegExp, an optional segment, a wildcard), and of a router mounted at `/` and elsewhere too,
// where Express dispatches through the first mount that matches.

// Each major's spelling of a pattern: Express 5's path-to-regexp 8 has no bare `*`.
interface Major {
  label: string
  express: ExpressModule
  /** A route matching any path below its router, and its name. */
  wildcard: string
  /** A mount with a parameter and a wildcard, and its name. */
  starMount: string
  /** A mount with an optional segment, `/api` or `/api/v2`. */
  optionalMount: string
}

const majors: Major[] = [
  {
    label: 'Express 5',
    express: express5,
    wildcard: '/*splat',
    starMount: '/orgs/:org/*rest',
    optionalMount: '/api{/v:n}',
  },
  {
    label: 'Express 4',
    express: express4 as unknown as ExpressModule,
    wildcard: '/*',
    starMount: '/orgs/:org/*',
    optionalMount: '/api/:n(v\\d+)?',
  },
]

const answer = (_req: Request, res: Response): void => {
  res.send('ok')
}

for (const { label, express, wildcard, starMount, optionalMount } of majors) {
  describe(`${label}: span names under mount patterns`, () => {
    const recording = useRecordingTracer()
    const { tracedApp, namesOf } = spanNames(express, recording)
    // A sub-app mounted at `mount` with `/x` → a router holding `/users/:id`.
    const subAppAt = (mount: string | string[] | RegExp) => {
      const app = tracedApp()
      const sub = express()
      const router = express.Router()
      router.get('/users/:id', answer)
      sub.use('/x', router)
      app.use(mount, sub)
      return app
    }

    it('should keep the mount of a router inside a sub-app mounted with a trailing slash', async () => {
      assert.deepEqual(await namesOf(subAppAt('/api/'), ['/api/x/users/1']), [
        'GET /api/x/users/:id',
      ])
    })

    it('should keep the mount of a router inside a sub-app mounted at alternatives', async () => {
      assert.deepEqual(
        await namesOf(subAppAt(['/v1', '/v2']), ['/v2/x/users/1', '/v1/x/users/2']),
        ['GET /v1|/v2/x/users/:id', 'GET /v1|/v2/x/users/:id'],
      )
    })

    it('should keep the mount of a router inside a sub-app mounted by a RegExp', async () => {
      assert.deepEqual(await namesOf(subAppAt(/^\/t\/\w+/), ['/t/acme/x/users/1']), [
        'GET /^\\/t\\/\\w+/x/users/:id',
      ])
    })

    it('should keep the mount of a router inside a sub-app mounted with an optional segment', async () => {
      const app = subAppAt(optionalMount)
      assert.deepEqual(await namesOf(app, ['/api/x/users/1', '/api/v2/x/users/2']), [
        `GET ${optionalMount}/x/users/:id`,
        `GET ${optionalMount}/x/users/:id`,
      ])
    })

    it('should name by the mount Express took for a router mounted at a prefix and at /', async () => {
      const app = tracedApp()
      const router = express.Router()
      router.get(wildcard, answer)
      app.use('/v1', router)
      app.use(router)
      assert.deepEqual(await namesOf(app, ['/v1/a', '/x/y', '/v1/a', '/x/z']), [
        `GET /v1${wildcard}`,
        `GET ${wildcard}`,
        `GET /v1${wildcard}`,
        `GET ${wildcard}`,
      ])
    })

    it('should name by the mount Express took for a router also mounted inside another', async () => {
      const app = tracedApp()
      const router = express.Router()
      router.get(wildcard, answer)
      const outer = express.Router()
      outer.use(router)
      app.use('/v1', outer)
      app.use(router)
      assert.deepEqual(await namesOf(app, ['/x/y', '/v1/a', '/x/z']), [
        `GET ${wildcard}`,
        `GET /v1${wildcard}`,
        `GET ${wildcard}`,
      ])
    })

    it('should name by the mount Express took for a router also mounted in a sub-app', async () => {
      const app = tracedApp()
      const router = express.Router()
      router.get(wildcard, answer)
      const sub = express()
      sub.use(router)
      app.use('/s', sub)
      app.use(router)
      assert.deepEqual(await namesOf(app, ['/x/y', '/s/a', '/x/z']), [
        `GET ${wildcard}`,
        `GET /s${wildcard}`,
        `GET ${wildcard}`,
      ])
    })

    it('should name a router mounted by a RegExp by the pattern, never by the URL', async () => {
      const app = tracedApp()
      const tenants = express.Router()
      tenants.get('/u/:id', answer)
      app.use(/^\/tenant\/\w+/, tenants)
      const files = express.Router()
      files.get('/u/:id', answer)
      app.use(/^\/files\/([^/]+)/, files)
      assert.deepEqual(await namesOf(app, ['/tenant/acme42/u/1', '/files/secret-name/u/2']), [
        'GET /^\\/tenant\\/\\w+/u/:id',
        'GET /^\\/files\\/([^/]+)/u/:id',
      ])
    })

    it('should name a wildcard in a mount by the pattern, never by the URL', async () => {
      const app = tracedApp()
      const router = express.Router()
      router.get('/', answer)
      app.use(starMount, router)
      assert.deepEqual(await namesOf(app, ['/orgs/acme/secret/path']), [`GET ${starMount}`])
    })
  })
}
