import { subscribe } from 'node:diagnostics_channel'
import { IncomingMessage, ServerResponse } from 'node:http'
import { Socket } from 'node:net'

// Why not `res.on('close', …)` per request: under Express, a listener added per request costs
// ~14k instructions and a property ~37k, as much as the rest of tracehop's per-request work
// with the no-op tracer or more (Express re-prototypes both objects, so each addition builds new
// hidden classes and turns the framework's own property reads megamorphic; bench/RESULTS.md). Node's own
// 'http.server.response.finish' channel reports every finished response at no per-request cost,
// and one 'close' listener per connection catches the responses a closed connection cut short.

/** Receives a watched response's end once: `aborted` when its connection closed first. */
export type ResponseEndListener<State> = (
  state: State,
  response: ResponseLike,
  aborted: boolean,
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
// The open responses of each connection, oldest first: one WeakMap entry per connection, so a
// kept-alive connection's requests cost an array push and splice, not an ephemeron each.
const openWatches = new WeakMap<Socket, Watch[]>()
const otherWatches = new WeakMap<object, Watch>()
let listening = false

/**
 * Calls `end(state, response, aborted)` once, when `response` has been sent in full (after its
 * 'finish' listeners, where 'close' would come) or when its connection closes first. Responses
 * of Node's HTTP/1 server are watched without a per-request listener; any other (HTTP/2, an
 * injected request) through its own 'close' event.
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
    process.nextTick(settle, watch, true)
    return
  }
  let open = openWatches.get(socket)
  if (open === undefined) {
    open = []
    openWatches.set(socket, open)
    socket.on('close', onSocketClose)
  }
  open.push(watch)
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
  const open = socket instanceof Socket ? openWatches.get(socket) : undefined
  if (open === undefined) return
  for (let index = 0; index < open.length; index++) {
    const watch = open[index] as Watch
    if (watch.response !== response) continue
    open.splice(index, 1)
    process.nextTick(settle, watch, false)
    return
  }
}

function onSocketClose(this: Socket): void {
  const open = openWatches.get(this)
  if (open === undefined) return
  openWatches.delete(this)
  for (const watch of open) settle(watch, !watch.response.writableFinished)
}

function onResponseClose(this: ResponseLike): void {
  const watch = otherWatches.get(this)
  if (watch === undefined) return
  otherWatches.delete(this)
  settle(watch, !this.writableFinished)
}

function settle(watch: Watch, aborted: boolean): void {
  try {
    watch.end(watch.state, watch.response, aborted)
  } catch {
    // Adapters guard their own work; this is the last line between a bug and the user's process.
  }
}
