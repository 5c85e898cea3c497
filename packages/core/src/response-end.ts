// When did this response end? A leaf that knows Node's HTTP server and nothing of tracing.
//
// Why not `res.on('close', …)` per request: frameworks that re-prototype each request and response
// (Express does) pay for every listener and property added to them, in hidden classes and in
// their own property reads turning megamorphic (bench/README.md has the measurements). Node's
// 'http.server.response.finish' channel reports every finished response at no per-request cost,
// and one 'close' and one 'timeout' listener per connection catch the responses a closed
// connection cut short. The rare rest (HTTP/2 streams, upgrade requests, injected requests) is
// watched through listeners of its own.
import { subscribe } from 'node:diagnostics_channel'
import type { EventEmitter } from 'node:events'
import { IncomingMessage, ServerResponse } from 'node:http'
import { Socket } from 'node:net'

/**
 * How a watched response ended: `finished` (sent in full), `aborted` (its connection or stream
 * closed first), `timedOut` (its connection, or the server's `requestTimeout` for the request,
 * timed out and the connection closed first) or `upgraded` (the request switched protocols: its
 * connection was taken over, by a WebSocket say).
 */
export type ResponseEnding = 'finished' | 'aborted' | 'timedOut' | 'upgraded'

/** What onResponseEnd() needs of a response: Node's `ServerResponse` or an equivalent. */
export interface ResponseLike {
  readonly statusCode: number
  readonly headersSent: boolean
  readonly writableFinished: boolean
  /** True once the response's end() was called (Node's responses, HTTP/1 and HTTP/2, have it). */
  readonly writableEnded?: boolean
  on(event: 'close', listener: () => void): unknown
}

/** A response to watch, and what to tell when it ends. */
export interface ResponseWatch {
  readonly response: ResponseLike
  /**
   * Called once, when the response ended; a throw is swallowed. `headersSent` is given for a
   * response its connection cut: whether its headers had gone out when the connection closed.
   */
  responseEnded(ending: ResponseEnding, headersSent?: boolean): void
}

// The open responses of one connection, oldest first: one WeakMap entry per connection, so a
// kept-alive connection's requests cost an array push and splice, not an ephemeron each.
class Connection {
  readonly watches: ResponseWatch[] = []
  // Set when a timeout closed the connection: the responses it cut short timed out.
  timedOut = false
}

// Kept once per process, whichever copy of this module (CJS and ESM builds, two versions) runs:
// a response finished through one copy's subscription must be found in the same table.
interface WatchState {
  readonly connections: WeakMap<Socket, Connection>
  readonly others: WeakMap<object, ResponseWatch>
  subscribed: boolean
}
const STATE_KEY = Symbol.for('tracehop.responseEnd.state')
type GlobalWithState = typeof globalThis & { [STATE_KEY]?: WatchState }
const state: WatchState = ((globalThis as GlobalWithState)[STATE_KEY] ??= {
  connections: new WeakMap(),
  others: new WeakMap(),
  subscribed: false,
})
const { connections, others } = state

const RESPONSE_FINISH = 'http.server.response.finish'

/**
 * Calls `watch.responseEnded(ending)` once, when `watch.response` has been sent in full (after
 * its 'finish' listeners, where 'close' would come) or when its connection closes first.
 * Responses of Node's HTTP/1 server (with `request` its IncomingMessage) are watched without a
 * per-request listener; any other (HTTP/2, an injected request) through its own 'close' event,
 * which cannot tell a timeout from an abort. An upgrade request ends when its connection is
 * taken over.
 */
export function onResponseEnd(request: unknown, watch: ResponseWatch): void {
  const response = watch.response
  const socket = request instanceof IncomingMessage ? (request.socket as unknown) : undefined
  if (!(socket instanceof Socket) || !(response instanceof ServerResponse) || !ensureSubscribed()) {
    if (streamClosed(response)) {
      // Its stream closed before the watch started (an earlier handler answered, or the client
      // reset it): its 'close' is gone, and the state it left tells how it ended.
      process.nextTick(settle, watch, closedEnding(response))
      return
    }
    others.set(response, watch)
    response.on('close', onResponseClose)
    return
  }
  if (response.writableFinished) {
    // Sent in full before the watch started (an earlier middleware answered and still called
    // next()): the channel told of it already, and the connection may stay open for long.
    process.nextTick(settle, watch, 'finished')
    return
  }
  if (socket.closed) {
    // The client left before the watch started: no 'close' is coming any more.
    process.nextTick(settle, watch, 'aborted')
    return
  }
  // Node gives an upgrade request to 'upgrade' listeners with the socket taken off its HTTP
  // parser: the channel never reports its response, which is a 101 written on the socket itself.
  if ((request as { upgrade?: unknown }).upgrade === true) {
    watchUpgrade(socket, response, watch)
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

function ensureSubscribed(): boolean {
  if (state.subscribed) return true
  try {
    subscribe(RESPONSE_FINISH, onResponseFinish)
    state.subscribed = true
  } catch {
    // A runtime without the channel: every response is watched through its 'close' event.
  }
  return state.subscribed
}

// Runs inside Node's own 'finish' handling: it must never throw (the channel would rethrow it as
// an uncaught exception), so the watch is told on the next tick, through settle().
function onResponseFinish(message: unknown): void {
  const { response, socket } = message as { response?: unknown; socket?: unknown }
  const connection = socket instanceof Socket ? connections.get(socket) : undefined
  if (connection === undefined) return
  const watches = connection.watches
  for (let index = 0; index < watches.length; index++) {
    const watch = watches[index] as ResponseWatch
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
  const watches = connection.watches
  if (watches.length === 0) return
  const cut: ResponseEnding = connection.timedOut || requestTimedOut(this) ? 'timedOut' : 'aborted'
  // Each response as it stands now, for a framework may still write to it (an error reply to a
  // request whose body was cut, into the closed socket): that reached no client.
  const closed = watches.map((watch) => {
    const response = watch.response
    return new ClosedResponse(
      watch,
      response.writableFinished ? 'finished' : cut,
      response.headersSent,
    )
  })
  // Told once the closed connection's requests and responses have emitted their own 'close', on
  // later ticks than the socket's: what a framework runs there (Fastify's onRequestAbort hooks)
  // still finds the request's span open.
  setImmediate(settleClosed, closed)
}

class ClosedResponse {
  constructor(
    readonly watch: ResponseWatch,
    readonly ending: ResponseEnding,
    readonly headersSent: boolean,
  ) {}
}

function settleClosed(closed: readonly ClosedResponse[]): void {
  for (const { watch, ending, headersSent } of closed) settle(watch, ending, headersSent)
}

// Node's `requestTimeout` (a request not received in full in time) answers 408 itself and destroys
// the connection with this error: the server timed the request out, the client did not leave.
function requestTimedOut(socket: Socket): boolean {
  const error = socket.errored as { code?: unknown } | null | undefined
  return error?.code === 'ERR_HTTP_REQUEST_TIMEOUT'
}

function onResponseClose(this: ResponseLike): void {
  const watch = others.get(this)
  if (watch === undefined) return
  others.delete(this)
  settle(watch, closedEnding(this))
}

// An HTTP/2 stream's state, as Http2ServerResponse's `stream` has it.
interface StreamState {
  readonly closed?: unknown
  readonly rstCode?: unknown
  readonly aborted?: unknown
}

const NO_ERROR = 0

function streamClosed(response: ResponseLike): boolean {
  try {
    const stream = (response as { stream?: StreamState | null }).stream
    return stream !== null && typeof stream === 'object' && stream.closed === true
  } catch {
    return false
  }
}

// An Http2ServerResponse's `writableFinished` is its stream's, which a closed stream reports
// whatever the client did: the response was sent in full only if end() was called and the
// stream closed cleanly, neither reset (a non-zero code) nor aborted before its writable end.
// A framework may also have swapped the response's prototype (Express does), hiding the getters
// read here: a throw means nothing can be told of the response.
function closedEnding(response: ResponseLike): ResponseEnding {
  try {
    const stream = (response as { stream?: StreamState | null }).stream
    if (stream !== null && typeof stream === 'object' && typeof stream.rstCode === 'number') {
      const clean = stream.rstCode === NO_ERROR && stream.aborted !== true
      return clean && response.writableEnded === true ? 'finished' : 'aborted'
    }
    if (response.writableFinished) return 'finished'
    // An emulated response (light-my-request's, behind fastify.inject()) has no connection to
    // drain to and never reports writableFinished: end() called before its close is its answer.
    const socket = (response as { socket?: unknown }).socket
    return response.writableEnded === true && !(socket instanceof Socket) ? 'finished' : 'aborted'
  } catch {
    return 'aborted'
  }
}

// The listeners of one upgrade request, removed at its end: the connection may outlive it by
// hours (a WebSocket) and must not keep the watch, and its span, alive that long.
class UpgradeWatch {
  private done = false

  constructor(
    private readonly socket: Socket,
    private readonly response: EventEmitter,
    private readonly watch: ResponseWatch,
  ) {}

  // A protocol handler reads the connection once it has written its 101 (ws does, after the
  // handshake): a 'data' or 'readable' listener means the connection was taken over.
  readonly onNewListener = (event: string | symbol): void => {
    if (event === 'data' || event === 'readable') this.end('upgraded')
  }

  // The app answered through the response instead (a refused handshake, say).
  readonly onFinish = (): void => this.end('finished')

  readonly onClose = (): void => this.end('aborted')

  start(): void {
    const { socket, response } = this
    if (socket.listenerCount('data') > 0 || socket.listenerCount('readable') > 0) {
      // Taken over before the framework saw the request (the handshake was done first).
      this.end('upgraded')
      return
    }
    socket.on('newListener', this.onNewListener)
    socket.on('close', this.onClose)
    response.on('finish', this.onFinish)
  }

  private end(ending: ResponseEnding): void {
    if (this.done) return
    this.done = true
    this.socket.off('newListener', this.onNewListener)
    this.socket.off('close', this.onClose)
    this.response.off('finish', this.onFinish)
    process.nextTick(settle, this.watch, ending)
  }
}

function watchUpgrade(socket: Socket, response: EventEmitter, watch: ResponseWatch): void {
  new UpgradeWatch(socket, response, watch).start()
}

function settle(watch: ResponseWatch, ending: ResponseEnding, headersSent?: boolean): void {
  try {
    watch.responseEnded(ending, headersSent)
  } catch {
    // Watchers guard their own work; this is the last line between a bug and the user's process.
  }
}
