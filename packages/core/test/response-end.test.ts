import assert from 'node:assert/strict'
import { EventEmitter, once } from 'node:events'
import http from 'node:http'
import net from 'node:net'
import { afterEach, describe, it } from 'node:test'
import { setTimeout as sleep } from 'node:timers/promises'
import { listen, waitFor, type RunningServer } from '../../../test/support/net.js'
import { onResponseEnd, type ResponseEnding, type ResponseLike } from '../src/response-end.js'

// Watches `response` and calls `ended` with how it ended.
function watch(
  request: unknown,
  response: ResponseLike,
  ended: (ending: ResponseEnding) => void,
): void {
  onResponseEnd(request, { response, responseEnded: ended })
}

interface Ended {
  state: string
  ending: ResponseEnding
  finishListenersRan: boolean
}

// A server whose responses are watched; `/hang` never answers, anything else answers at once.
async function watchedServer(
  configure: (server: http.Server) => void = () => undefined,
): Promise<{ server: RunningServer; ended: Ended[] }> {
  const ended: Ended[] = []
  const finishListenersRan = new WeakSet()
  const server = http.createServer((req, res) => {
    const state = req.url ?? ''
    watch(req, res, (ending) => {
      ended.push({ state, ending, finishListenersRan: finishListenersRan.has(res) })
    })
    res.on('finish', () => finishListenersRan.add(res))
    if (req.url !== '/hang') res.end('ok')
  })
  configure(server)
  return { server: await listen(server), ended }
}

function rawRequests(port: number, paths: readonly string[]): Promise<net.Socket> {
  return new Promise((resolve, reject) => {
    const socket = net.connect(port, '127.0.0.1', () => {
      socket.write(paths.map((path) => `GET ${path} HTTP/1.1\r\nHost: x\r\n\r\n`).join(''))
      resolve(socket)
    })
    socket.on('error', reject)
  })
}

describe('onResponseEnd', () => {
  let running: RunningServer | undefined
  afterEach(async () => {
    await running?.close()
    running = undefined
  })

  it('should report a sent response once, after its own finish listeners', async () => {
    const { server, ended } = await watchedServer()
    running = server
    const response = await fetch(`${server.url}/a`)
    assert.equal(await response.text(), 'ok')
    await waitFor(() => ended.length === 1, 'the end')
    await sleep(20)
    assert.deepEqual(ended, [{ state: '/a', ending: 'finished', finishListenersRan: true }])
  })

  it('should report the responses a closed connection cut short, each once', async () => {
    const { server, ended } = await watchedServer()
    running = server
    // Pipelined: the first is answered, the next two wait behind the hanging one.
    const socket = await rawRequests(server.port, ['/first', '/hang', '/after'])
    await waitFor(() => ended.length === 1, 'the first response')
    socket.destroy()
    await waitFor(() => ended.length === 3, 'the cut responses')
    await sleep(20)
    assert.deepEqual(
      ended.map(({ state, ending }) => [state, ending]),
      [
        ['/first', 'finished'],
        ['/hang', 'aborted'],
        ['/after', 'aborted'],
      ],
    )
  })

  it("should report a cut response after its request's and response's own 'close' listeners", async () => {
    // What a framework runs on the request's 'close' (Fastify's onRequestAbort hooks) comes on a
    // later tick than the socket's: it must still find the response unreported.
    const events: string[] = []
    const server = await listen((req, res) => {
      watch(req, res, (ending) => events.push(`ended ${ending}`))
      req.on('close', () => events.push('request close'))
      res.on('close', () => events.push('response close'))
      events.push('received')
    })
    running = server
    const socket = await rawRequests(server.port, ['/hang'])
    await waitFor(() => events.length === 1, 'the request')
    socket.destroy()
    await waitFor(() => events.length === 4, 'the end')
    await sleep(20)
    assert.deepEqual(events.slice(-1), ['ended aborted'])
    assert.deepEqual(events.slice(1, 3).sort(), ['request close', 'response close'])
  })

  it('should tell a connection the server timed out from one the client closed', async () => {
    const { server, ended } = await watchedServer((http) => http.setTimeout(100))
    running = server
    const socket = await rawRequests(server.port, ['/hang'])
    await once(socket, 'close')
    await waitFor(() => ended.length === 1, 'the end')
    assert.equal(ended[0]?.ending, 'timedOut')
  })

  it('should not count a timeout that a handler survived', async () => {
    // A 'timeout' listener on the server keeps Node from destroying the timed-out socket: the
    // response is still open, and the client leaving later is an abort.
    let timeouts = 0
    const { server, ended } = await watchedServer((http) => {
      http.setTimeout(50)
      http.on('timeout', () => timeouts++)
    })
    running = server
    const socket = await rawRequests(server.port, ['/hang'])
    await waitFor(() => timeouts > 0, 'the timeout')
    assert.equal(socket.destroyed, false)
    socket.destroy()
    await waitFor(() => ended.length === 1, 'the end')
    assert.equal(ended[0]?.ending, 'aborted')
  })

  it('should count a timeout whose handler closed the connection', async () => {
    const { server, ended } = await watchedServer((http) => {
      http.setTimeout(50)
      http.on('timeout', (socket: net.Socket) => socket.destroy())
    })
    running = server
    await rawRequests(server.port, ['/hang'])
    await waitFor(() => ended.length === 1, 'the end')
    assert.equal(ended[0]?.ending, 'timedOut')
  })

  it('should count a request the server timed out by requestTimeout as timed out', async () => {
    const ended: ResponseEnding[] = []
    const options = { requestTimeout: 100, connectionsCheckingInterval: 20 }
    // The handler waits for a body that never arrives in full: Node answers 408 and closes.
    const server = http.createServer(options, (req, res) => {
      watch(req, res, (ending) => ended.push(ending))
      req.resume()
    })
    running = await listen(server)
    const socket = net.connect(running.port, '127.0.0.1')
    socket.write('POST /upload HTTP/1.1\r\nHost: x\r\nContent-Length: 10\r\n\r\nabc')
    let received = ''
    socket.on('data', (chunk: Buffer) => (received += chunk.toString()))
    await once(socket, 'close')
    await waitFor(() => ended.length === 1, 'the end')
    assert.match(received, /^HTTP\/1\.1 408 /)
    assert.deepEqual(ended, ['timedOut'])
  })

  it('should add one listener per connection and none per response', async () => {
    const counts: number[] = []
    let socketCloseListeners = 0
    const server = await listen((req, res) => {
      watch(req, res, () => undefined)
      counts.push(res.listenerCount('close'))
      socketCloseListeners = req.socket.listenerCount('close')
      res.end('ok')
    })
    running = server
    const agent = new http.Agent({ keepAlive: true, maxSockets: 1 })
    let before = 0
    for (let i = 0; i < 20; i++) {
      const response = await fetchWith(agent, `${server.url}/${i}`)
      assert.equal(response, 'ok')
      if (i === 0) before = socketCloseListeners
    }
    agent.destroy()
    assert.equal(socketCloseListeners, before, 'listeners on the kept-alive socket')
    assert.deepEqual(new Set(counts).size, 1, 'the same count on every response')
    assert.equal(
      counts[0],
      new http.ServerResponse(new http.IncomingMessage(new net.Socket())).listenerCount('close'),
    )
  })

  it('should report a response whose connection had already closed', async () => {
    const ended: ResponseEnding[] = []
    let closed!: () => void
    const allClosed = new Promise<void>((resolve) => (closed = resolve))
    const server = await listen((req, res) => {
      req.socket.once('close', () => {
        watch(req, res, (ending) => ended.push(ending))
        closed()
      })
    })
    running = server
    const socket = await rawRequests(server.port, ['/late'])
    await sleep(50)
    socket.destroy()
    await allClosed
    await waitFor(() => ended.length === 1, 'the end')
    assert.deepEqual(ended, ['aborted'])
  })

  it('should report a response sent in full before it was watched, on a kept-alive connection', async () => {
    const ended: ResponseEnding[] = []
    const server = await listen((req, res) => {
      res.end('early')
      res.once('finish', () => setTimeout(() => watch(req, res, (ending) => ended.push(ending)), 5))
    })
    running = server
    // The connection stays open: only the watch itself can tell of the end.
    const socket = await rawRequests(server.port, ['/early'])
    try {
      await waitFor(() => ended.length === 1, 'the end')
      await sleep(20)
      assert.deepEqual(ended, ['finished'])
    } finally {
      socket.destroy()
    }
  })

  it("should watch any other response through its 'close' event", () => {
    class FakeResponse extends EventEmitter implements ResponseLike {
      statusCode = 200
      headersSent = true
      writableFinished = false
    }
    const ended: ResponseEnding[] = []
    const done = new FakeResponse()
    const cut = new FakeResponse()
    for (const response of [done, cut]) {
      watch({}, response, (ending) => ended.push(ending))
    }
    done.writableFinished = true
    done.emit('close')
    cut.emit('close')
    done.emit('close')
    assert.deepEqual(ended, ['finished', 'aborted'])
  })

  it('should keep a throwing watcher away from the process', async () => {
    const escaped: unknown[] = []
    const onEscape = (error: unknown) => escaped.push(error)
    let calls = 0
    const throwing = () => {
      calls++
      throw new Error('watcher bug')
    }
    process.on('uncaughtException', onEscape)
    try {
      const server = await listen((req, res) => {
        watch(req, res, throwing)
        res.end('ok')
      })
      running = server
      const fake = new EventEmitter() as EventEmitter & ResponseLike
      Object.assign(fake, { statusCode: 200, headersSent: false, writableFinished: false })
      watch({}, fake, throwing)
      fake.emit('close')
      assert.equal(await (await fetch(server.url)).text(), 'ok')
      await waitFor(() => calls === 2, 'both watchers')
      await sleep(50)
      assert.equal(calls, 2, 'each watcher was told once')
      assert.deepEqual(escaped, [])
    } finally {
      process.off('uncaughtException', onEscape)
    }
  })
})

async function fetchWith(agent: http.Agent, url: string): Promise<string> {
  const request = http.get(url, { agent })
  const [response] = (await once(request, 'response')) as [http.IncomingMessage]
  let body = ''
  for await (const chunk of response) body += String(chunk)
  return body
}
