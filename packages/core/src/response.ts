import { subscribe } from 'node:diagnostics_channel'
import { IncomingMessage, ServerResponse } from 'node:http'
import { Socket } from 'node:net'

// Why not `res.on('close', …)` per request: under Express, a listener or any property added to
// the request or response per request costs more CPU than the rest of the span's work together
// (Express re-prototypes both objects, so each addition builds new hidden classes and turns the
// framework's own property reads megamorphic; see bench/RESULTS.md). Node's own
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
  readonly end: ResponseEndListener<unknown>
  readonly state: unknown
}

const RESPONSE_FINISH = 'http.server.response.finish'
const watches = new WeakMap<object, Watch>()
const openResponses = new WeakMap<Socket, Set<ResponseLike>>()
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
  watches.set(response, { end: end as ResponseEndListener<unknown>, state })
  const socket = request instanceof IncomingMessage ? (request.socket as unknown) : undefined
  if (!(socket instanceof Socket) || !(response instanceof ServerResponse) || !listen()) {
    response.on('close', onResponseClose)
    return
  }
  if (socket.closed) {
    // The client left before the span started: no 'close' is coming any more.
    process.nextTick(settle, response, true)
    return
  }
  let open = openResponses.get(socket)
  if (open === undefined) {
    open = new Set()
    openResponses.set(socket, open)
    socket.on('close', onSocketClose)
  }
  open.add(response)
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
  if (!(response instanceof ServerResponse) || !watches.has(response)) return
  if (socket instanceof Socket) openResponses.get(socket)?.delete(response)
  process.nextTick(settle, response, false)
}

function onSocketClose(this: Socket): void {
  const open = openResponses.get(this)
  if (open === undefined) return
  openResponses.delete(this)
  for (const response of open) settle(response, !response.writableFinished)
}

function onResponseClose(this: ResponseLike): void {
  settle(this, !this.writableFinished)
}

function settle(response: ResponseLike, aborted: boolean): void {
  const watch = watches.get(response)
  if (watch === undefined) return
  watches.delete(response)
  try {
    watch.end(watch.state, response, aborted)
  } catch {
    // Adapters guard their own work; this is the last line between a bug and the user's process.
  }
}
