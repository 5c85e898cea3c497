// onResponseEnd() on the responses Node's HTTP/1 channel does not report: HTTP/2 streams, whose
// response says "finished" for a stream the client reset, and upgrade requests, whose 101 is
// written on the socket itself and whose connection outlives the request.
import assert from 'node:assert/strict'
import { EventEmitter } from 'node:events'
import http from 'node:http'
import http2 from 'node:http2'
import net from 'node:net'
import { afterEach, describe, it } from 'node:test'
import { setTimeout as sleep } from 'node:timers/promises'
import { H2Session } from '../../../test/support/http2-client.js'
import { waitFor, type RunningServer } from '../../../test/support/net.js'
import { listenServer } from '../../../test/support/transports.js'
import { onResponseEnd, type ResponseEnding, type ResponseLike } from '../src/response-end.js'

describe('onResponseEnd on HTTP/2 streams', () => {
  let running: RunningServer | undefined
  let client: H2Session | undefined
  afterEach(async () => {
    client?.cut()
    client = undefined
    await running?.close()
    running = undefined
  })

  // An HTTP/2 server whose responses are watched: `/ok` answers, `/big` ends 1 MiB at once,
  // `/hang` writes a chunk, anything else never answers. Under `/late/` the watch starts only
  // once the stream has closed, as when the span starts after an earlier handler's answer.
  async function watched(): Promise<Map<string, ResponseEnding[]>> {
    const endings = new Map<string, ResponseEnding[]>()
    const server = http2.createServer((req, res) => {
      const late = req.url.startsWith('/late/')
      const path = late ? req.url.slice('/late'.length) : req.url
      endings.set(req.url, [])
      const responseEnded = (ending: ResponseEnding) => endings.get(req.url)?.push(ending)
      if (late) res.stream.once('close', () => setImmediate(watch))
      else watch()
      function watch() {
        onResponseEnd(req, { response: res, responseEnded })
      }
      if (path === '/ok') res.end('ok')
      else if (path === '/big') res.end(Buffer.alloc(1 << 20))
      else if (path === '/hang') res.write('first')
    })
    running = await listenServer(server, 'http')
    client = await H2Session.connect(running.url)
    return endings
  }

  it('should tell a stream sent in full from one the client reset, before or during the response', async () => {
    const endings = await watched()
    const h2 = client as H2Session
    await h2.send('/ok')
    await h2.resetAfter('/never', 20)
    await h2.resetAfterFirstChunk('/hang')
    // Ended by the server, reset by the client before all of it was sent.
    await h2.resetAfterFirstChunk('/big')
    await waitFor(() => [...endings.values()].every((list) => list.length > 0), 'every ending')
    await sleep(20)
    assert.deepEqual(Object.fromEntries(endings), {
      '/ok': ['finished'],
      '/never': ['aborted'],
      '/hang': ['aborted'],
      '/big': ['aborted'],
    })
  })

  it('should tell how a stream that closed before its watch started ended', async () => {
    const endings = await watched()
    const h2 = client as H2Session
    await h2.send('/late/ok')
    await h2.resetAfter('/late/never', 20)
    await waitFor(() => [...endings.values()].every((list) => list.length > 0), 'every ending')
    await sleep(20)
    assert.deepEqual(Object.fromEntries(endings), {
      '/late/ok': ['finished'],
      '/late/never': ['aborted'],
    })
  })

  it('should report every open stream aborted once when the connection under the session is lost', async () => {
    const endings = await watched()
    const h2 = client as H2Session
    for (const path of ['/a', '/b', '/c']) h2.open(path)
    await waitFor(() => endings.size === 3, 'three streams')
    h2.cut()
    await waitFor(() => [...endings.values()].every((list) => list.length > 0), 'every ending')
    await sleep(20)
    assert.deepEqual([...endings.values()], [['aborted'], ['aborted'], ['aborted']])
  })

  it('should report aborted, not throw, when the response getters are gone', () => {
    // What Express's prototype swap leaves of an Http2ServerResponse: getters that throw.
    const response = new EventEmitter()
    for (const name of ['stream', 'writableFinished', 'writableEnded']) {
      Object.defineProperty(response, name, {
        get: () => {
          throw new TypeError('no state')
        },
      })
    }
    const endings: ResponseEnding[] = []
    const responseEnded = (ending: ResponseEnding) => endings.push(ending)
    onResponseEnd({}, { response: response as unknown as ResponseLike, responseEnded })
    response.emit('close')
    assert.deepEqual(endings, ['aborted'])
  })
})

describe('onResponseEnd on upgrade requests', () => {
  let running: RunningServer | undefined
  afterEach(async () => {
    await running?.close()
    running = undefined
  })

  // A server routing upgrade requests to `handle` with a response bound to the socket.
  async function upgrades(
    handle: (socket: net.Socket, res: http.ServerResponse) => void,
  ): Promise<{ endings: ResponseEnding[]; sockets: net.Socket[] }> {
    const endings: ResponseEnding[] = []
    const sockets: net.Socket[] = []
    const server = http.createServer()
    server.on('upgrade', (req: http.IncomingMessage, socket: net.Socket) => {
      const res = new http.ServerResponse(req)
      res.assignSocket(socket)
      // An upgraded socket is the app's, error handling included: the client's reset after the
      // test is done with it would otherwise be an uncaught ECONNRESET.
      socket.on('error', () => undefined)
      sockets.push(socket)
      onResponseEnd(req, { response: res, responseEnded: (ending) => endings.push(ending) })
      handle(socket, res)
    })
    running = await listenServer(server, 'http')
    return { endings, sockets }
  }

  function upgradeRequest(port: number): Promise<net.Socket> {
    return new Promise((resolve) => {
      const socket = net.connect(port, '127.0.0.1', () => {
        socket.write('GET /ws HTTP/1.1\r\nHost: x\r\nConnection: Upgrade\r\nUpgrade: test\r\n\r\n')
        resolve(socket)
      })
      socket.on('error', () => undefined)
    })
  }

  const SWITCH = 'HTTP/1.1 101 Switching Protocols\r\nConnection: Upgrade\r\nUpgrade: test\r\n\r\n'

  it('should report upgraded once, at the takeover, and leave no listener on the connection', async () => {
    const { endings, sockets } = await upgrades((socket) => {
      setTimeout(() => {
        socket.write(SWITCH)
        socket.on('data', (data) => socket.write(data))
      }, 20)
    })
    const client = await upgradeRequest((running as RunningServer).port)
    await waitFor(() => endings.length > 0, 'the upgrade')
    const server = sockets[0] as net.Socket
    assert.equal(server.listenerCount('newListener'), 0)
    const before = server.listenerCount('close')
    client.write('still open')
    await sleep(20)
    assert.equal(server.listenerCount('close'), before)
    client.destroy()
    await sleep(20)
    assert.deepEqual(endings, ['upgraded'])
  })

  it('should report finished when the app answers through the response', async () => {
    const { endings } = await upgrades((_socket, res) => {
      res.writeHead(403).end('no')
    })
    const client = await upgradeRequest((running as RunningServer).port)
    await waitFor(() => endings.length > 0, 'the answer')
    client.destroy()
    await sleep(20)
    assert.deepEqual(endings, ['finished'])
  })

  it('should report aborted when the connection closes before any upgrade', async () => {
    // As ws closes the connection of a handshake it refuses.
    const { endings } = await upgrades((socket) => setTimeout(() => socket.destroy(), 20))
    await upgradeRequest((running as RunningServer).port)
    await waitFor(() => endings.length > 0, 'the close')
    await sleep(20)
    assert.deepEqual(endings, ['aborted'])
  })

  it('should report upgraded at once for a connection taken over before the watch', async () => {
    const endings: ResponseEnding[] = []
    const server = http.createServer()
    server.on('upgrade', (req: http.IncomingMessage, socket: net.Socket) => {
      socket.write(SWITCH)
      socket.on('data', () => undefined)
      onResponseEnd(req, {
        response: new http.ServerResponse(req),
        responseEnded: (ending) => endings.push(ending),
      })
    })
    running = await listenServer(server, 'http')
    const client = await upgradeRequest(running.port)
    await waitFor(() => endings.length > 0, 'the upgrade')
    client.destroy()
    assert.deepEqual(endings, ['upgraded'])
  })
})
