// Behaviour parity: arity, identity and rejection checks: what tracehop hands to frameworks keeps
// the arity they read, no user function is wrapped, and apps and client calls cause as many
// unhandledRejection events with tracing as without.
import assert from 'node:assert/strict'
import { execFile } from 'node:child_process'
import { fileURLToPath } from 'node:url'
import { promisify } from 'node:util'
import { registerTracingInterceptor } from '@tracehop/axios'
import { tracingErrorHandler, tracingMiddleware } from '@tracehop/express'
import { tracingPlugin } from '@tracehop/fastify'
import { tracedFetch } from '@tracehop/fetch'
import axios, { type InternalAxiosRequestConfig } from 'axios'
import express, { type Response as ExpressResponse } from 'express'
import express4 from 'express4'
import type { ClientScenario } from './parity-clients.js'

export const arityScenarios: readonly ClientScenario[] = [
  {
    name: "arity: tracehop's middleware, error handler and plugin have the arity frameworks read",
    check: async () => {
      assert.equal(tracingMiddleware().length, 3)
      assert.equal(tracingErrorHandler().length, 4)
      // Fastify and avvio call a plugin of 3 parameters with a done callback.
      assert.equal(tracingPlugin.length, 3)
      const meta = (tracingPlugin as unknown as Record<symbol, unknown>)[
        Symbol.for('skip-override')
      ]
      assert.equal(meta, true)
      await Promise.resolve()
    },
  },
  {
    name: "arity: tracedFetch's result keeps the wrapped fetch's length and name",
    check: async () => {
      const named = async function myFetch(input: string | URL | Request) {
        return globalThis.fetch(input)
      }
      for (const wrapped of [globalThis.fetch, named]) {
        const result = tracedFetch(wrapped)
        assert.equal(result.length, wrapped.length)
        assert.equal(result.name, wrapped.name)
      }
      await Promise.resolve()
    },
  },
  {
    name: 'identity: no user handler or interceptor is wrapped',
    check: async () => {
      for (const framework of [express, express4 as unknown as typeof express]) {
        const app = framework()
        app.use(tracingMiddleware())
        const handler = (_req: unknown, res: ExpressResponse) => res.end()
        const errorHandler = (_e: unknown, _q: unknown, _r: unknown, _n: unknown) => undefined
        app.get('/x', handler)
        app.use(tracingErrorHandler())
        app.use(errorHandler)
        const router = (app as unknown as { _router?: unknown; router: unknown })._router
        const stack = ((router ?? app.router) as { stack: Array<Record<string, unknown>> }).stack
        const route = stack.find((layer) => layer.route !== undefined)?.route as {
          stack: Array<{ handle: unknown }>
        }
        assert.equal(route.stack[0]?.handle, handler)
        assert.equal(stack.at(-1)?.handle, errorHandler)
      }
      const http = axios.create()
      const mine = (config: InternalAxiosRequestConfig) => config
      http.interceptors.request.use(mine)
      registerTracingInterceptor(http)
      const handlers = (
        http.interceptors.request as unknown as { handlers: Array<{ fulfilled: unknown }> }
      ).handlers
      assert.equal(handlers[0]?.fulfilled, mine)
      await Promise.resolve()
    },
  },
  {
    name: 'rejections: as many unhandledRejection events with tracing as without',
    check: async () => {
      const child = fileURLToPath(new URL('../children/parity-rejections.ts', import.meta.url))
      const counts: Record<string, number>[] = []
      for (const mode of ['plain', 'traced']) {
        const { stdout } = await promisify(execFile)(
          process.execPath,
          ['--import', 'tsx', child, mode],
          { timeout: 20_000 },
        )
        counts.push(JSON.parse(stdout) as Record<string, number>)
      }
      assert.deepEqual(counts[1], counts[0])
      // Express 4 ignores a route's promise; Express 5 and Fastify handle it; each stray promise
      // and each unawaited client call counts once.
      assert.deepEqual(counts[0], {
        'express 4 async throw': 1,
        'express 5 async throw': 0,
        'fastify async throw': 0,
        'stray rejections': 3,
        'unawaited axios': 1,
        'unawaited fetch': 1,
      })
    },
  },
]
