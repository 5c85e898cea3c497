// What the three services share: listening on PORT, a tracer from the environment, and a clean
// shutdown: on SIGTERM the requests in flight finish and the tracer sends their spans before the
// process exits.
import { once } from 'node:events'
import { realpathSync } from 'node:fs'
import http, { type Server } from 'node:http'
import type { AddressInfo } from 'node:net'
import { resolve } from 'node:path'
import { fileURLToPath } from 'node:url'
import {
  DRAIN_TIMEOUT_MS,
  IN_MEMORY_KINDS,
  shutdownOnSignal,
  tracerFromEnv,
  type TracerHandle,
} from '@tracehop/example-tracers'
import type { Express } from 'express'
import type { FastifyInstance } from 'fastify'
import type { Tracer } from 'opentracing'

/** The environment variables every service reads (TRACER's vendor may read more). */
export const SERVICE_ENV = ['PORT', 'HOST', 'TRACER', 'SHUTDOWN_GRACE_MS'] as const

/** A started service: where it listens, its HTTP server, and how to stop it at once. */
export interface RunningService {
  url: string
  server: Server
  stop(): Promise<void>
}

/** Starts an Express app on `host:port` (port 0: any free port). */
export function startExpress(app: Express, port: number, host: string): Promise<RunningService> {
  return startServer(http.createServer(app), port, host)
}

/** Starts `server` on `host:port` (port 0: any free port); stop() also ends idle connections. */
export async function startServer(
  server: Server,
  port: number,
  host: string,
): Promise<RunningService> {
  server.listen(port, host)
  await once(server, 'listening')
  const { port: actual } = server.address() as AddressInfo
  return {
    url: `http://${host}:${actual}`,
    server,
    stop: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve())
        server.closeAllConnections()
      }),
  }
}

/** Starts a Fastify app on `host:port` (port 0: any free port). */
export async function startFastify(
  app: FastifyInstance,
  port: number,
  host: string,
): Promise<RunningService> {
  await app.listen({ port, host })
  const { port: actual } = app.server.address() as AddressInfo
  return { url: `http://${host}:${actual}`, server: app.server, stop: () => app.close() }
}

/** A variable the service cannot run without. */
export function required(env: NodeJS.ProcessEnv, name: string): string {
  const value = env[name]
  if (value === undefined || value === '') throw new Error(`${name} must be set`)
  return value
}

/**
 * Runs a service as its own process: the tracer from TRACER (and the vendor's variables), the
 * port from PORT; on SIGTERM or SIGINT the requests in flight get SHUTDOWN_GRACE_MS to finish,
 * then the tracer sends the last spans and the process exits. Without TRACER the service traces
 * nothing (`none`); a tracer that keeps spans in memory for a reader (otel, otelshim, recording)
 * is refused: nothing reads it here, and it would grow with every request.
 */
export async function runService(
  name: string,
  start: (tracer: Tracer, port: number, host: string) => Promise<RunningService>,
  env: NodeJS.ProcessEnv = process.env,
): Promise<void> {
  if (env.TRACER !== undefined && IN_MEMORY_KINDS.includes(env.TRACER)) {
    throw new Error(
      `TRACER=${env.TRACER} keeps every span in memory for the demo or a test to read: a service ` +
        'run on its own needs a backend (TRACER=otlp, zipkin, jaeger, lightstep or datadog) or ' +
        'none (TRACER unset)',
    )
  }
  const handle: TracerHandle = tracerFromEnv(name, env)
  const service = await start(handle.tracer, Number(env.PORT ?? 0), env.HOST ?? '0.0.0.0')
  // `close` runs once the server is drained: Fastify's onClose hooks see no request in flight.
  shutdownOnSignal(service.server, handle, {
    drainMs: Number(env.SHUTDOWN_GRACE_MS) || DRAIN_TIMEOUT_MS,
    close: () => service.stop(),
  })
  const tracing = handle.kind === 'none' ? 'none; set TRACER=otlp, say, to trace' : handle.kind
  console.log(`${name} listening on ${service.url} (tracer: ${tracing})`)
}

/** True when `moduleUrl` (`import.meta.url`) is the script node was started with. */
export function isMain(moduleUrl: string): boolean {
  const script = process.argv[1]
  if (script === undefined) return false
  // A file URL is percent-encoded (a space is %20): compare paths. Node resolves symbolic links
  // in the module's URL, not in argv[1].
  const path = fileURLToPath(moduleUrl)
  try {
    return path === realpathSync(script)
  } catch {
    return path === resolve(script)
  }
}
