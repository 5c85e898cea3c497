import { subscribe } from 'node:diagnostics_channel'
import { IncomingMessage, ServerResponse } from 'node:http'
import { Socket } from 'node:net'
import type { ServerResult } from './server.js'

// Why not `res.on('close', …)` per request: under Express, a listener added per request costs
// ~14k instructions and a property ~37k, as much as the rest of tracehop's per-request work
// with the no-op tracer or more (Express re-prototypes both objects, so each addition builds new
// hidden classes and turns the framework's own property reads megamorphic; bench/RESULTS.md).
// Node's own 'http.server.response.finish' channel reports every finished response at no
// per-request cost, and one 'close' and one 'timeout' listener per connection catch the
// responses a closed connection cut short.

/**
 * How a watched response ended: `finished` (sent in full), `aborted` (its connection closed
 * first) or `timedOut` (its connection timed out, then closed first).
 */
export type ResponseEnding = 'finished' | 'aborted' | 'timedOut'

/** Receives a watched response's end once. */
export type ResponseEndListener<State> = (
  state: State,
  response: ResponseLike,
  ending: ResponseEnding,
) => void

/** What watchResponse() needs of a response: Node's `ServerResponse` or an equivalent. */
export interface ResponseLike {
  readonly statusCode: number
  readonly headersSent: boolean
  readonly writableFinished: boolean
  on(event: 'close', listener: () => void): unknown
}

interface Watch {
  readonly response: ResponseLike
  readonly end: ResponseEndListener<unknown>
  readonly state: unknown
}

const RESPONSE_FINISH = 'http.server.response.finish'

// The open responses of one connection, oldest first: one WeakMap entry per connection, so a
// kept-alive connection's requests cost an array push and splice, not an ephemeron each.
class Connection {
  readonly watches: Watch[] = []
  // Set when a timeout closed the connection: the responses it cut short timed out.
  timedOut = false
}

const connections = new WeakMap<Socket, Connection>()
const otherWatches = new WeakMap<object, Watch>()
let listening = false

/**
 * Calls `end(state, response, ending)` once, when `response` has been sent in full (after its
 * 'finish' listeners, where 'close' would come) or when its connection closes first. Responses
 * of Node's HTTP/1 server are watched without a per-request listener; any other (HTTP/2, an
 * injected request) through its own 'close' event, which cannot tell a timeout from an abort.
 */
export function watchResponse<State>(
  request: unknown,
  response: ResponseLike,
  end: ResponseEndListener<State>,
  state: State,
): void {
  const watch: Watch = { response, end: end as ResponseEndListener<unknown>, state }
  const socket = request instanceof IncomingMessage ? (request.socket as unknown) : undefined
  if (!(socket instanceof Socket) || !(response instanceof ServerResponse) || !listen()) {
    otherWatches.set(response, watch)
    response.on('close', onResponseClose)
    return
  }
  if (socket.closed) {
    // The client left before the span started: no 'close' is coming any more.
    process.nextTick(settle, watch, 'aborted')
    return
  }
  let connection = connections.get(socket)
  if (connection === undefined) {
    connection = new Connection()
    connections.set(socket, connection)
    socket.on('close', onSocketClose)
    // Listening on the socket changes nothing of Node's handling: it destroys a timed-out socket
    // unless the server, the response on the socket or an incomplete request listens for it.
    socket.on('timeout', onSocketTimeout)
  }
  connection.watches.push(watch)
}

function listen(): boolean {
  if (listening) return true
  try {
    subscribe(RESPONSE_FINISH, onResponseFinish)
    listening = true
  } catch {
    // A runtime without the channel: every response is watched through its 'close' event.
  }
  return listening
}

// Runs inside Node's own 'finish' handling: it must never throw (the channel would rethrow it as
// an uncaught exception), so the listener runs on the next tick, through settle().
function onResponseFinish(message: unknown): void {
  const { response, socket } = message as { response?: unknown; socket?: unknown }
  const connection = socket instanceof Socket ? connections.get(socket) : undefined
  if (connection === undefined) return
  const watches = connection.watches
  for (let index = 0; index < watches.length; index++) {
    const watch = watches[index] as Watch
    if (watch.response !== response) continue
    watches.splice(index, 1)
    process.nextTick(settle, watch, 'finished')
    return
  }
}

// Node's own 'timeout' listener came first: the socket is destroyed by now if the timeout (or a
// handler of it) closed the connection. One that a handler survived is not the response's end.
function onSocketTimeout(this: Socket): void {
  const connection = connections.get(this)
  if (connection !== undefined && this.destroyed) connection.timedOut = true
}

function onSocketClose(this: Socket): void {
  const connection = connections.get(this)
  if (connection === undefined) return
  connections.delete(this)
  const cut: ResponseEnding = connection.timedOut ? 'timedOut' : 'aborted'
  for (const watch of connection.watches) {
    settle(watch, watch.response.writableFinished ? 'finished' : cut)
  }
}

function onResponseClose(this: ResponseLike): void {
  const watch = otherWatches.get(this)
  if (watch === undefined) return
  otherWatches.delete(this)
  settle(watch, this.writableFinished ? 'finished' : 'aborted')
}

function settle(watch: Watch, ending: ResponseEnding): void {
  try {
    watch.end(watch.state, watch.response, ending)
  } catch {
    // Adapters guard their own work; this is the last line between a bug and the user's process.
  }
}

/** What a server span records of a response that ended as `ending`, matched to `route`. */
export function responseResult(
  response: ResponseLike,
  ending: ResponseEnding,
  route: string | undefined,
): ServerResult {
  const statusCode = ending === 'finished' || response.headersSent ? response.statusCode : undefined
  if (ending === 'timedOut') return { statusCode, route, error: new ConnectionTimeoutError() }
  return { statusCode, route, aborted: ending === 'aborted' }
}

/** The error of a request whose connection timed out before its response was sent. */
class ConnectionTimeoutError extends Error {
  override name = 'ConnectionTimeoutError'
  constructor() {
    super('the connection timed out before the response was sent')
  }
}
