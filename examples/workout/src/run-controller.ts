// run-controller: plans a run and stores each of its segments in storage. Fastify, calling
// storage with the traced fetch.
import { randomUUID } from 'node:crypto'
import { startActiveSpan } from '@tracehop/core'
import { tracingPlugin } from '@tracehop/fastify'
import { tracedFetch } from '@tracehop/fetch'
import Fastify, { type FastifyInstance } from 'fastify'
import type { Tracer } from 'opentracing'
import { connectionLost, retryOnce } from './retry.js'
import {
  SERVICE_ENV,
  isMain,
  required,
  runService,
  startFastify,
  type RunningService,
} from './service.js'

/** The environment variables run-controller reads. */
export const RUN_CONTROLLER_ENV = [...SERVICE_ENV, 'STORAGE_URL', 'FIX_SLOW_STEP'] as const

/** How run-controller works; `parallelWrites` may change while it runs (the demo's fix). */
export interface RunControllerOptions {
  storageUrl: string
  /** Store a run's segments all at once instead of one after another (the fix). */
  parallelWrites: boolean
}

interface Segment {
  index: number
  minutes: number
  pace: string
}

/** The run-controller app. */
export async function runControllerApp(
  tracer: Tracer,
  options: RunControllerOptions,
): Promise<FastifyInstance> {
  const app = Fastify()
  await app.register(tracingPlugin, { tracer, ignore: ['/healthz'] })
  const fetch = tracedFetch(globalThis.fetch, { tracer })
  const store = async (runId: string, segment: Segment) => {
    const send = () =>
      fetch(`${options.storageUrl}/runs/${runId}/segments`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify(segment),
      })
    // Sent again, once, when the connection was lost before any answer (storage closing a
    // kept-alive connection as the write went out on it, say: see retry.ts). Safe: storage keeps
    // one segment per index, so a write it had received after all is replaced, not doubled.
    const response = await retryOnce(send, connectionLost)
    if (!response.ok) throw new Error(`storage answered ${response.status}`)
  }
  app.get('/healthz', () => 'ok')
  app.post<{ Body: { workoutId?: string; intervals?: Array<{ minutes: number; pace: string }> } }>(
    '/runs',
    async (request, reply) => {
      const runId = randomUUID()
      const segments = startActiveSpan('planRun', (span) => {
        const planned = (request.body.intervals ?? []).map((interval, index) => ({
          index,
          ...interval,
        }))
        span.setTag('run.segments', planned.length)
        return planned
      })
      if (options.parallelWrites) {
        await Promise.all(segments.map((segment) => store(runId, segment)))
      } else {
        // The deliberately slow step: independent writes made one after another.
        for (const segment of segments) await store(runId, segment)
      }
      return reply.code(201).send({ runId, segments: segments.length })
    },
  )
  return app
}

/** Starts run-controller on `host:port`, configured from the environment. */
export async function startRunController(
  tracer: Tracer,
  port: number,
  host: string,
  env: NodeJS.ProcessEnv = process.env,
): Promise<RunningService> {
  const options = {
    storageUrl: required(env, 'STORAGE_URL'),
    parallelWrites: env.FIX_SLOW_STEP === '1',
  }
  return startFastify(await runControllerApp(tracer, options), port, host)
}

/** Runs run-controller as its own process, configured from the environment. */
export function main(): Promise<void> {
  return runService('run-controller', startRunController)
}

if (isMain(import.meta.url)) await main()
