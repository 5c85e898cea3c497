// storage: keeps workouts and the segments of each run. Express.
import { setTimeout as sleep } from 'node:timers/promises'
import { tracingErrorHandler, tracingMiddleware } from '@tracehop/express'
import express, { type Express } from 'express'
import type { Tracer } from 'opentracing'
import { SERVICE_ENV, isMain, runService, startExpress, type RunningService } from './service.js'

/** The environment variables storage reads. */
export const STORAGE_ENV = [...SERVICE_ENV] as const

/** Milliseconds one write takes (a disk, say). */
const WRITE_MS = 12

/** The storage app. */
export function storageApp(tracer: Tracer): Express {
  const app = express()
  app.use(tracingMiddleware({ tracer, ignore: ['/healthz'] }))
  app.use(express.json())
  const workouts = new Map<string, unknown>()
  // Each run's segments by index: a write sent twice (a caller's retry) is kept once.
  const segments = new Map<string, Map<number, unknown>>()
  app.get('/healthz', (_req, res) => {
    res.send('ok')
  })
  app.put('/workouts/:id', async (req, res) => {
    await sleep(WRITE_MS)
    workouts.set(req.params.id, req.body)
    res.status(201).json({ id: req.params.id })
  })
  app.get('/workouts/:id', (req, res) => {
    const workout = workouts.get(req.params.id)
    if (workout === undefined) res.status(404).json({ error: 'no such workout' })
    else res.json(workout)
  })
  app.post('/runs/:runId/segments', async (req, res) => {
    const index = (req.body as { index?: unknown } | undefined)?.index
    if (typeof index !== 'number' || !Number.isInteger(index) || index < 0) {
      res.status(400).json({ error: 'a segment needs an index' })
      return
    }
    await sleep(WRITE_MS)
    const run = segments.get(req.params.runId) ?? new Map<number, unknown>()
    run.set(index, req.body)
    segments.set(req.params.runId, run)
    res.status(201).json({ runId: req.params.runId, stored: run.size })
  })
  app.use(tracingErrorHandler())
  return app
}

/** Starts storage on `host:port`. */
export function startStorage(tracer: Tracer, port: number, host: string): Promise<RunningService> {
  return startExpress(storageApp(tracer), port, host)
}

/** Runs storage as its own process, configured from the environment. */
export function main(): Promise<void> {
  return runService('storage', startStorage)
}

if (isMain(import.meta.url)) await main()
