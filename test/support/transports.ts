// The ways a server is deployed, for tests that run one app on each: HTTP/1.1 in clear or over
// TLS, and HTTP/2 in clear (h2c), over TLS (h2) or over TLS with HTTP/1.1 allowed beside it.
import http, { type IncomingMessage, type ServerResponse } from 'node:http'
import http2 from 'node:http2'
import https from 'node:https'
import type { AddressInfo, Socket } from 'node:net'
import type { RunningServer } from './net.js'
import { testCertificate } from './tls.js'

/**
 * `http` and `https`: Node's HTTP/1.1 servers. `h2c`: `http2.createServer()`. `h2`:
 * `http2.createSecureServer()`. `h2-http1`: the same with `allowHTTP1: true`, where ALPN gives
 * HTTP/1.1 clients Node's HTTP/1 request and response, and HTTP/2 clients the compatibility API.
 */
export type Transport = 'http' | 'https' | 'h2c' | 'h2' | 'h2-http1'

/** The transports that speak HTTP/2 to an HTTP/2 client. */
export const HTTP2_TRANSPORTS: readonly Transport[] = ['h2c', 'h2', 'h2-http1']

/** True when the transport runs over TLS (its URLs are `https://`). */
export function isTls(transport: Transport): boolean {
  return transport !== 'http' && transport !== 'h2c'
}

/** A request listener of any of the transports (Node's HTTP/1 or HTTP/2 compatibility API). */
export type AnyListener = (req: IncomingMessage, res: ServerResponse) => void

/** Where an upgrade request goes: the app, with a response bound to the upgraded socket. */
export type UpgradeDispatch = (req: IncomingMessage, res: ServerResponse) => void

type AnyServer = http.Server | https.Server | http2.Http2Server | http2.Http2SecureServer

/** Node's server for `transport`, answering with `listener`. */
export function createServerFor(transport: Transport, listener: AnyListener): AnyServer {
  const handler = listener as unknown as http.RequestListener
  const tls = testCertificate()
  switch (transport) {
    case 'http':
      return http.createServer(handler)
    case 'https':
      return https.createServer(tls, handler)
    case 'h2c':
      return http2.createServer(handler as never)
    case 'h2':
      return http2.createSecureServer(tls, handler as never)
    case 'h2-http1':
      return http2.createSecureServer({ ...tls, allowHTTP1: true }, handler as never)
  }
}

/** Fastify's server options for `transport` (its `http2` and `https` options). */
export function fastifyTransport(transport: Transport): Record<string, unknown> {
  const tls = testCertificate()
  switch (transport) {
    case 'http':
      return {}
    case 'https':
      return { https: tls }
    case 'h2c':
      return { http2: true }
    case 'h2':
      return { http2: true, https: tls }
    case 'h2-http1':
      return { http2: true, https: { ...tls, allowHTTP1: true } }
  }
}

/**
 * Starts `listener` on `transport` on 127.0.0.1:0. Upgrade requests (HTTP/1 only) go to
 * `upgrades` when given. close() ends every connection and session still open.
 */
export async function listenOn(
  transport: Transport,
  listener: AnyListener,
  upgrades?: UpgradeDispatch,
): Promise<RunningServer> {
  const server = createServerFor(transport, listener)
  if (upgrades !== undefined) routeUpgrades(server, upgrades)
  return listenServer(server, isTls(transport) ? 'https' : 'http')
}

/** Listens with `server` on 127.0.0.1:0; close() destroys the connections left open. */
export async function listenServer(
  server: AnyServer,
  scheme: 'http' | 'https',
): Promise<RunningServer> {
  const sockets = new Set<Socket>()
  server.on('connection', (socket: Socket) => {
    sockets.add(socket)
    socket.once('close', () => sockets.delete(socket))
  })
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject)
    server.listen(0, '127.0.0.1', () => resolve())
  })
  const { port } = server.address() as AddressInfo
  return {
    url: `${scheme}://127.0.0.1:${port}`,
    port,
    close: () =>
      new Promise<void>((resolve, reject) => {
        server.close((error) => (error ? reject(error) : resolve()))
        for (const socket of sockets) socket.destroy()
      }),
  }
}

/**
 * Routes a server's upgrade requests through `dispatch` with a response bound to the socket, as
 * @fastify/websocket does (and express-ws after the handshake): the framework's middleware, hooks
 * and router see them as any request, and a route completes the handshake (acceptWebSocket()).
 * Returns a function destroying the upgraded connections still open, which a server's close()
 * alone would wait for.
 */
export function routeUpgrades(server: AnyServer, dispatch: UpgradeDispatch): () => void {
  const upgraded = new Set<Socket>()
  server.on('upgrade', (req: IncomingMessage, socket: Socket, head: Buffer) => {
    upgraded.add(socket)
    socket.once('close', () => upgraded.delete(socket))
    upgradeHeads.set(req, head)
    const res = new http.ServerResponse(req)
    res.assignSocket(socket)
    dispatch(req, res)
  })
  return () => {
    for (const socket of upgraded) socket.destroy()
  }
}

/** The bytes read past an upgrade request's head, by request (what ws's handleUpgrade needs). */
export const upgradeHeads = new WeakMap<IncomingMessage, Buffer>()
