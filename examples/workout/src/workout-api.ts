// workout-api: takes POST /workouts, validates it, stores it, and asks run-controller to plan the
// run. Express, calling downstream with axios.
import { randomUUID } from 'node:crypto'
import { registerTracingInterceptor } from '@tracehop/axios'
import { startActiveSpan, traceHeaders } from '@tracehop/core'
import { tracingErrorHandler, tracingMiddleware } from '@tracehop/express'
import axios, { isAxiosError } from 'axios'
import cors from 'cors'
import express, { type Express, type NextFunction, type Request, type Response } from 'express'
import type { Tracer } from 'opentracing'
import { NEW_CONNECTION, resetOnReusedConnection, retryOnce } from './retry.js'
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

/**
 * The status of a client's mistake, answered as is: an invalid workout (400), and what
 * express.json() refuses, a 4xx `status` on its error (a malformed body 400, a body too large
 * 413, an unsupported charset or encoding 415). A downstream's answer is no mistake of the
 * client's: an axios error's status is its response's, so it is not taken.
 */
function clientErrorStatus(error: unknown): number | undefined {
  if (error instanceof InvalidWorkout) return 400
  if (typeof error !== 'object' || error === null || isAxiosError(error)) return undefined
  const { status, statusCode } = error as { status?: unknown; statusCode?: unknown }
  const code = status ?? statusCode
  return typeof code === 'number' && code >= 400 && code < 500 ? code : undefined
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
  // No redirects between the services: axios then reports the very request Node sent, which
  // tells whether it went out on a reused connection (see retry.ts). The timeout is shorter than
  // the services' drain on shutdown.
  const downstream = axios.create({ timeout: 5000, maxRedirects: 0 })
  registerTracingInterceptor(downstream, { tracer })
  app.use(tracingMiddleware({ tracer, ignore: ['/healthz'] }))
  app.use(express.json())
  app.get('/healthz', (_req, res) => {
    res.send('ok')
  })
  app.post('/workouts', async (req, res) => {
    const workout = startActiveSpan('validatePayload', () => validate(req.body), { tracer })
    const id = randomUUID()
    // A call reset on a kept-alive connection that storage or run-controller closed as it went
    // out (one of them shutting down, say) is sent again, once. Storing a workout twice is the
    // same as once; a run planned twice, when run-controller had read the call after all, leaves
    // the first run's segments unused.
    await retryOnce(
      (retry) =>
        downstream.put(`${urls.storageUrl}/workouts/${id}`, workout, retry ? NEW_CONNECTION : {}),
      resetOnReusedConnection,
    )
    const { data: run } = await startActiveSpan(
      'call downstream',
      () =>
        retryOnce(
          (retry) =>
            downstream.post<{ runId: string; segments: number }>(
              `${urls.runControllerUrl}/runs`,
              { workoutId: id, intervals: workout.intervals },
              retry ? NEW_CONNECTION : {},
            ),
          resetOnReusedConnection,
        ),
      { tracer },
    )
    res.status(201).json({ id, runId: run.runId, segments: run.segments })
  })
  // A client's mistake is answered with its 4xx before tracingErrorHandler() sees it: the span
  // records the status, and a 4xx is no failure of this service.
  app.use((error: unknown, _req: Request, res: Response, next: NextFunction) => {
    const status = clientErrorStatus(error)
    if (status === undefined) {
      next(error)
      return
    }
    res.status(status).json({ error: (error as Error).message })
  })
  app.use(tracingErrorHandler())
  // Anything else failed downstream (or here): 502, recorded on the span as an error.
  app.use((error: Error, _req: Request, res: Response, _next: NextFunction) => {
    res.status(502).json({ error: error.message })
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
