// Stopping a traced service without losing what it was doing: the requests in flight get their
// responses, so their spans finish, and the tracer sends those spans before the process exits.
// Kubernetes sends SIGTERM and, a grace period later, SIGKILL: everything here is bounded.
import type { IncomingMessage, Server, ServerResponse } from 'node:http'
import { setTimeout as sleep } from 'node:timers/promises'
import type { TracerHandle } from './handle.js'

/** How long shutdownOnSignal waits for requests in flight, by default. */
export const DRAIN_TIMEOUT_MS = 10_000
/** How long shutdownOnSignal waits for the tracer's last flush. */
export const FLUSH_TIMEOUT_MS = 10_000
const IDLE_SWEEP_MS = 50

/**
 * Closes `server` without cutting a request short: no new connections; a request already on
 * its way over a kept-alive connection is still answered, with `Connection: close`; idle
 * connections are closed as they become idle. Resolves once every connection is closed, or after
 * `drainMs`, when those left are cut (their spans then finish as aborted).
 */
export function closeGracefully(server: Server, drainMs = DRAIN_TIMEOUT_MS): Promise<void> {
  const lastOnConnection = (_request: IncomingMessage, response: ServerResponse) => {
    response.shouldKeepAlive = false
  }
  server.prependListener('request', lastOnConnection)
  // A response already being prepared goes out with keep-alive; its connection is closed once
  // idle. Node closes idle connections once, at close(), and not those that become idle later.
  const sweep = setInterval(() => server.closeIdleConnections(), IDLE_SWEEP_MS)
  const deadline = setTimeout(() => server.closeAllConnections(), drainMs)
  return new Promise<void>((resolve) => {
    server.close(() => {
      clearInterval(sweep)
      clearTimeout(deadline)
      server.off('request', lastOnConnection)
      resolve()
    })
  })
}

/** What shutdownOnSignal does besides closing the server and the tracer. */
export interface ShutdownOptions {
  /** How long requests in flight may take to finish (default DRAIN_TIMEOUT_MS). */
  drainMs?: number
  /** Run once the server is closed, before the tracer (a framework's own close, say). */
  close?: () => Promise<void>
}

/**
 * On SIGTERM or SIGINT: closeGracefully(server), then `options.close`, then the tracer (every
 * answered request's span has finished by then, so its last flush sends them all), at most
 * FLUSH_TIMEOUT_MS, then exit: 0 unless the server or `options.close` failed. A second signal
 * exits at once.
 */
export function shutdownOnSignal(
  server: Server,
  handle: TracerHandle,
  options: ShutdownOptions = {},
): void {
  let stopping = false
  const shutdown = async () => {
    if (stopping) process.exit(1)
    stopping = true
    let code = 0
    try {
      await closeGracefully(server, options.drainMs)
      await options.close?.()
    } catch (error) {
      process.stderr.write(`shutdown: ${String(error)}\n`)
      code = 1
    }
    // Reported, not turned into an exit status: losing telemetry is not the service failing.
    const closed = await Promise.race([
      handle.close().then(() => 'closed'),
      sleep(FLUSH_TIMEOUT_MS, `did not finish sending within ${FLUSH_TIMEOUT_MS} ms`),
    ]).catch((error: unknown) => `failed to send its last spans: ${String(error)}`)
    if (closed !== 'closed') process.stderr.write(`shutdown: the tracer ${closed}\n`)
    process.exit(code)
  }
  for (const signal of ['SIGTERM', 'SIGINT'] as const) process.on(signal, () => void shutdown())
}
