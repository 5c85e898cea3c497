// Responses that stay open: Server-Sent Events, and WebSockets, whose handshake a route completes
// with the `ws` package on a request routed through the framework (see routeUpgrades() in
// transports.ts).
import http, { type IncomingMessage } from 'node:http'
import type { Socket } from 'node:net'
import { Readable } from 'node:stream'
import { setTimeout as sleep } from 'node:timers/promises'
import { WebSocket, WebSocketServer } from 'ws'
import { testCertificate } from './tls.js'
import { upgradeHeads } from './transports.js'

/** The content type of an event stream. */
export const EVENT_STREAM = 'text/event-stream'

/**
 * An event stream's body: `data: 1`, `data: 2`, … one every `intervalMs`, ending after `count`
 * events, or never when `count` is 0 (until the client leaves and the framework destroys it).
 */
export function eventStream(count: number, intervalMs: number): Readable {
  return Readable.from(
    (async function* events() {
      for (let sent = 1; count === 0 || sent <= count; sent++) {
        yield `data: ${sent}\n\n`
        if (count === 0 || sent < count) await sleep(intervalMs)
      }
    })(),
  )
}

/** The `count` and `interval` query of an event stream route, as numbers. */
export function eventQuery(query: unknown): { count: number; intervalMs: number } {
  const { count, interval } = (query ?? {}) as { count?: string; interval?: string }
  return { count: Number(count ?? 3), intervalMs: Number(interval ?? 20) }
}

const server = new WebSocketServer({ noServer: true, clientTracking: false })

let lastAccepted: Socket | undefined

/** The server's side of the connection of the WebSocket accepted last (for listener checks). */
export function lastAcceptedSocket(): Socket | undefined {
  return lastAccepted
}

/** In a route: completes the WebSocket handshake of `req`; the socket echoes every message. */
export function acceptWebSocket(req: IncomingMessage): void {
  const head = upgradeHeads.get(req) ?? Buffer.alloc(0)
  server.handleUpgrade(req, req.socket, head, (socket) => {
    lastAccepted = req.socket
    socket.on('message', (data, binary) => socket.send(data, { binary }))
  })
}

/**
 * A connected client WebSocket to `url` (`wss://` trusting the test certificate), sending
 * `headers` with its upgrade request.
 */
export async function openWebSocket(
  url: string,
  headers: Record<string, string> = {},
): Promise<WebSocket> {
  const tls = url.startsWith('wss:') ? { ca: testCertificate().cert } : {}
  const socket = new WebSocket(url, { headers, ...tls })
  await new Promise<void>((resolve, reject) => {
    socket.once('open', resolve)
    socket.once('error', reject)
    socket.once('unexpected-response', (request, response) => {
      // With a listener, ws leaves the refused request's connection open: it is the caller's.
      request.destroy()
      reject(new Error(`upgrade refused with ${response.statusCode}`))
    })
  })
  return socket
}

/** Sends `text` and resolves with the next message received. */
export async function echo(socket: WebSocket, text: string): Promise<string> {
  const reply = new Promise<string>((resolve) =>
    socket.once('message', (data) => resolve((data as Buffer).toString('utf8'))),
  )
  socket.send(text)
  return reply
}

/** Closes the client WebSocket and waits for the close to complete. */
export async function closeWebSocket(socket: WebSocket): Promise<void> {
  if (socket.readyState === WebSocket.CLOSED) return
  const closed = new Promise<void>((resolve) => socket.once('close', () => resolve()))
  socket.close()
  await closed
}

/** Reads an event stream until `count` events arrived, then leaves (destroys the connection). */
export function readEventsThenLeave(url: string, count: number): Promise<string> {
  return new Promise((resolve, reject) => {
    const request = http.request(url, { agent: false }, (response) => {
      let body = ''
      response.setEncoding('utf8')
      response.on('data', (chunk: string) => {
        body += chunk
        if (body.split('\n\n').length - 1 < count) return
        request.destroy()
        resolve(body)
      })
    })
    request.on('error', (error: NodeJS.ErrnoException) => {
      if (error.code !== 'ECONNRESET') reject(error)
    })
    request.end()
  })
}
