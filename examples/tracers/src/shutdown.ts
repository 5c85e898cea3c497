// Stopping a traced service without losing what it was doing: the requests in flight get their
// responses, so their spans finish, and the tracer sends those spans before the process exits.
// Kubernetes sends SIGTERM and, a grace period later, SIGKILL: everything here is bounded.
//
// One race is the callers' to handle. HTTP/1.1 has no way to close a kept-alive connection
// safely: a caller may write its next request on it just as the server closes it. The server
// never read that request; the caller sees the connection reset (ECONNRESET on a reused socket)
// before any response, and should send the request again, once, on a new connection, as the
// workout services do (examples/workout/src/retry.ts). closeGracefully makes that rare, not
// impossible: it closes only connections that stayed idle for a while.
import type { IncomingMessage, Server, ServerResponse } from 'node:http'
import { setTimeout as sleep } from 'node:timers/promises'
import type { TracerHandle } from './handle.js'

/** How long shutdownOnSignal waits for requests in flight, by default. */
export const DRAIN_TIMEOUT_MS = 10_000
/** How long shutdownOnSignal waits for the tracer's last flush. */
export const FLUSH_TIMEOUT_MS = 10_000
/** How long a connection stays open once idle, after closeGracefully was called. */
export const IDLE_CLOSE_MS = 1000

/**
 * Closes `server` without cutting a request short (within `drainMs`):
 *
 * - every request that arrives from now on is answered with `Connection: close`, so its
 *   connection closes once the response is sent, with no race;
 * - a connection that becomes idle later (its request arrived before this call and was answered
 *   with keep-alive) is closed by Node once idle for IDLE_CLOSE_MS (its `keepAliveTimeout`);
 * - IDLE_CLOSE_MS from now (or `drainMs`, if shorter) the server stops taking connections and
 *   closes those still idle, most of them unused since before this call: their callers are the
 *   least likely to be writing a request on them. Until then it still takes new connections,
 *   answered as above.
 *
 * A caller that writes on a connection as it is closed gets ECONNRESET before any response and
 * should retry (see the top of this file). Resolves once every connection is closed, or after
 * `drainMs`, when those left are cut (their spans then finish as aborted).
 */
export function closeGracefully(server: Server, drainMs = DRAIN_TIMEOUT_MS): Promise<void> {
  const lastOnConnection = (_request: IncomingMessage, response: ServerResponse) => {
    response.shouldKeepAlive = false
  }
  server.prependListener('request', lastOnConnection)
  // Read when a response ends: a connection idle from then on is closed after this (0: never).
  if (server.keepAliveTimeout === 0 || server.keepAliveTimeout > IDLE_CLOSE_MS) {
    server.keepAliveTimeout = IDLE_CLOSE_MS
  }
  const deadline = setTimeout(() => server.closeAllConnections(), drainMs)
  return new Promise<void>((resolve) => {
    // close() stops taking connections and closes the idle ones at once: not before they had
    // time to carry one more request, answered with `Connection: close`.
    setTimeout(
      () =>
        server.close(() => {
          clearTimeout(deadline)
          server.off('request', lastOnConnection)
          resolve()
        }),
      Math.min(IDLE_CLOSE_MS, drainMs),
    )
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
