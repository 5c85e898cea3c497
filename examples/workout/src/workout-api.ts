// workout-api: takes POST /workouts, validates it, stores it, and asks run-controller to plan the
// run. Express, calling downstream with axios.
import { randomUUID } from 'node:crypto'
import { registerTracingInterceptor } from '@tracehop/axios'
import { startActiveSpan, traceHeaders } from '@tracehop/core'
import { tracingErrorHandler, tracingMiddleware } from '@tracehop/express'
import axios from 'axios'
import cors from 'cors'
import express, { type Express, type NextFunction, type Request, type Response } from 'express'
import type { Tracer } from 'opentracing'
import {
  SERVICE_ENV,
  isMain,
  required,
  runService,
  startExpress,
  type RunningService,
} from './service.js'

/** The environment variables workout-api reads. */
export const WORKOUT_API_ENV = [...SERVICE_ENV, 'STORAGE_URL', 'RUN_CONTROLLER_URL'] as const

interface Interval {
  minutes: number
  pace: string
}

class InvalidWorkout extends Error {
  override name = 'InvalidWorkout'
}

function validate(body: unknown): { name: string; intervals: Interval[] } {
  const candidate = body as { name?: unknown; intervals?: unknown } | null
  if (typeof candidate?.name !== 'string' || candidate.name === '') {
    throw new InvalidWorkout('a workout needs a name')
  }
  const intervals = candidate.intervals
  if (!Array.isArray(intervals) || intervals.length === 0) {
    throw new InvalidWorkout('a workout needs intervals')
  }
  for (const interval of intervals as Array<Partial<Interval>>) {
    if (typeof interval.minutes !== 'number' || typeof interval.pace !== 'string') {
      throw new InvalidWorkout('each interval needs minutes and a pace')
    }
  }
  return { name: candidate.name, intervals: intervals as Interval[] }
}

/** Where workout-api calls, and the origin of a page that calls it from a browser, if any. */
export interface WorkoutApiUrls {
  storageUrl: string
  runControllerUrl: string
  pageOrigin?: string | undefined
}

/** The workout-api app. */
export function workoutApiApp(tracer: Tracer, urls: WorkoutApiUrls): Express {
  const app = express()
  if (urls.pageOrigin !== undefined) {
    // The page is another origin: the browser sends its trace headers only if the preflight
    // allows them (answered here, before tracing: preflights make no spans).
    const allowedHeaders = ['content-type', ...traceHeaders({ tracer })]
    app.use(cors({ origin: urls.pageOrigin, allowedHeaders }))
  }
  const downstream = axios.create({ timeout: 5000 })
  registerTracingInterceptor(downstream, { tracer })
  app.use(tracingMiddleware({ tracer, ignore: ['/healthz'] }))
  app.use(express.json())
  app.get('/healthz', (_req, res) => {
    res.send('ok')
  })
  app.post('/workouts', async (req, res) => {
    const workout = startActiveSpan('validatePayload', () => validate(req.body), { tracer })
    const id = randomUUID()
    await downstream.put(`${urls.storageUrl}/workouts/${id}`, workout)
    const { data: run } = await startActiveSpan(
      'call downstream',
      () =>
        downstream.post<{ runId: string; segments: number }>(`${urls.runControllerUrl}/runs`, {
          workoutId: id,
          intervals: workout.intervals,
        }),
      { tracer },
    )
    res.status(201).json({ id, runId: run.runId, segments: run.segments })
  })
  app.use(tracingErrorHandler())
  app.use((error: Error, _req: Request, res: Response, _next: NextFunction) => {
    res.status(error instanceof InvalidWorkout ? 400 : 502).json({ error: error.message })
  })
  return app
}

/**
 * Starts workout-api on `host:port`, configured from the environment; `pageOrigin` lets a page of
 * that origin call it from a browser (default: none).
 */
export function startWorkoutApi(
  tracer: Tracer,
  port: number,
  host: string,
  env: NodeJS.ProcessEnv = process.env,
  pageOrigin?: string,
): Promise<RunningService> {
  const urls = {
    storageUrl: required(env, 'STORAGE_URL'),
    runControllerUrl: required(env, 'RUN_CONTROLLER_URL'),
    pageOrigin,
  }
  return startExpress(workoutApiApp(tracer, urls), port, host)
}

/** Runs workout-api as its own process, configured from the environment. */
export function main(): Promise<void> {
  return runService('workout-api', startWorkoutApi)
}

if (isMain(import.meta.url)) await main()
