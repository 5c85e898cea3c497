import assert from 'node:assert/strict'
import { EventEmitter, once } from 'node:events'
import http from 'node:http'
import net from 'node:net'
import { afterEach, describe, it } from 'node:test'
import { setTimeout as sleep } from 'node:timers/promises'
import { watchResponse, type ResponseLike } from '@tracehop/core'
import { listen, waitFor, type RunningServer } from '../../../test/support/net.js'

interface Ended {
  state: string
  aborted: boolean
  finishListenersRan: boolean
}

// A server whose responses are watched; `/hang` never answers, anything else answers at once.
async function watchedServer(): Promise<{ server: RunningServer; ended: Ended[] }> {
  const ended: Ended[] = []
  const finishListenersRan = new WeakSet()
  const server = await listen((req, res) => {
    watchResponse(
      req,
      res,
      (state: string, response, aborted) => {
        ended.push({ state, aborted, finishListenersRan: finishListenersRan.has(response) })
      },
      req.url ?? '',
    )
    res.on('finish', () => finishListenersRan.add(res))
    if (req.url !== '/hang') res.end('ok')
  })
  return { server, ended }
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

describe('watchResponse', () => {
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
    assert.deepEqual(ended, [{ state: '/a', aborted: false, finishListenersRan: true }])
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
      ended.map(({ state, aborted }) => [state, aborted]),
      [
        ['/first', false],
        ['/hang', true],
        ['/after', true],
      ],
    )
  })

  it('should add one listener per connection and none per response', async () => {
    const counts: number[] = []
    let socketCloseListeners = 0
    const server = await listen((req, res) => {
      watchResponse(req, res, () => undefined, undefined)
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
    const ended: boolean[] = []
    let closed!: () => void
    const allClosed = new Promise<void>((resolve) => (closed = resolve))
    const server = await listen((req, res) => {
      req.socket.once('close', () => {
        watchResponse(req, res, (_state, _response, aborted) => ended.push(aborted), undefined)
        closed()
      })
    })
    running = server
    const socket = await rawRequests(server.port, ['/late'])
    await sleep(50)
    socket.destroy()
    await allClosed
    await waitFor(() => ended.length === 1, 'the end')
    assert.deepEqual(ended, [true])
  })

  it("should watch any other response through its 'close' event", () => {
    class FakeResponse extends EventEmitter implements ResponseLike {
      statusCode = 200
      headersSent = true
      writableFinished = false
    }
    const ended: boolean[] = []
    const done = new FakeResponse()
    const cut = new FakeResponse()
    for (const response of [done, cut]) {
      watchResponse({}, response, (_s, _r, aborted) => ended.push(aborted), undefined)
    }
    done.writableFinished = true
    done.emit('close')
    cut.emit('close')
    done.emit('close')
    assert.deepEqual(ended, [false, true])
  })

  it('should keep a throwing listener away from the process', async () => {
    const escaped: unknown[] = []
    const onEscape = (error: unknown) => escaped.push(error)
    process.on('uncaughtException', onEscape)
    try {
      const server = await listen((req, res) => {
        watchResponse(
          req,
          res,
          () => {
            throw new Error('listener bug')
          },
          undefined,
        )
        res.end('ok')
      })
      running = server
      const fake = new EventEmitter() as EventEmitter & ResponseLike
      Object.assign(fake, { statusCode: 200, headersSent: false, writableFinished: false })
      watchResponse(
        {},
        fake,
        () => {
          throw new Error('listener bug')
        },
        undefined,
      )
      fake.emit('close')
      assert.equal(await (await fetch(server.url)).text(), 'ok')
      await sleep(50)
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
