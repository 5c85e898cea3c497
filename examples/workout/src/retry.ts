// Sending a request again when the connection it went out on was closed under it. HTTP/1.1 has no
// way to close a kept-alive connection safely: a server closing one it sees idle (shutting down,
// or past its keep-alive timeout) may do so just as the caller writes its next request on it. The
// server never read that request; the caller sees the connection reset before any response. The
// cure is the caller's: send such a request again, once, on a new connection where the client
// can ask for one (Node's advice, see `request.reusedSocket` in its HTTP documentation). Each
// attempt is a client span of its own.
import type { ClientRequest } from 'node:http'
import { setImmediate as nextTurn } from 'node:timers/promises'
import { isAxiosError, type AxiosRequestConfig } from 'axios'

/**
 * Runs `send(false)`, and `send(true)` once more if it failed as `retryable` says. The retry
 * should go out on a new connection (NEW_CONNECTION, for axios): the pool's other kept-alive
 * connections to that server may be closing too. It waits for the event loop's next turn first,
 * so that the closes that arrived with this one are seen and those connections left out.
 */
export async function retryOnce<T>(
  send: (retry: boolean) => Promise<T>,
  retryable: (error: unknown) => boolean,
): Promise<T> {
  try {
    return await send(false)
  } catch (error) {
    if (!retryable(error)) throw error
    await nextTurn()
    return send(true)
  }
}

/** An axios request's config for a connection of its own, closed after the response. */
export const NEW_CONNECTION: AxiosRequestConfig = { httpAgent: false }

/**
 * True when an axios call (Node's http adapter) was reset before any response on a connection
 * an earlier call had used: what a server closing an idle kept-alive connection does to a
 * request written on it at that moment. That server never read the request, so any method may be
 * sent again. A server that had read it and then lost the connection (its process killed, its
 * drain deadline passed) resets it too, and the request may have been handled: keep calls'
 * timeouts shorter than the servers' drain, and make what such a call does safe to repeat or
 * harmless twice. The instance must follow no redirect (`maxRedirects: 0`): axios then reports
 * the request Node sent, which tells whether its socket was reused.
 */
export function resetOnReusedConnection(error: unknown): boolean {
  if (!isAxiosError(error) || error.response !== undefined || error.code !== 'ECONNRESET') {
    return false
  }
  return (error.request as ClientRequest | undefined)?.reusedSocket === true
}

/**
 * True when a fetch failed because its connection was closed or reset before any response.
 * fetch does not tell whether the connection was new or reused, nor whether the server had read
 * the request: retry on this only a request that is safe to send twice. Nor can it ask for a new
 * connection: its retry takes one from the pool.
 */
export function connectionLost(error: unknown): boolean {
  if (!(error instanceof TypeError)) return false // fetch's network error; an abort is not one
  const code = (error.cause as { code?: unknown } | undefined)?.code
  return code === 'UND_ERR_SOCKET' || code === 'ECONNRESET' || code === 'EPIPE'
}
