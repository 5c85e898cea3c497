// The server contract over what real deployments add to plain HTTP/1.1: TLS (on Node's https
// server and on an HTTP/2 server that allows HTTP/1.1), forwarded headers from a client the app
// does not trust, event streams that stay open, and WebSocket upgrades. Every adapter runs it.
import assert from 'node:assert/strict'
import { describe, it } from 'node:test'
import { setTimeout as sleep } from 'node:timers/promises'
import { WebSocket } from 'ws'
import { closeWebSocket, echo, openWebSocket, readEventsThenLeave } from '../support/long-lived.js'
import { makeTraceparent, send } from '../support/net.js'
import type { ServerContractContext } from './server-contract-context.js'

/** Headers a client may send to pass as a proxy: none may change a tag of an app trusting none. */
export const SPOOFED_FORWARDING = {
  'x-forwarded-for': '203.0.113.7, 198.51.100.2',
  'x-forwarded-proto': 'https',
  'x-forwarded-host': 'spoofed.example',
  'x-forwarded-port': '8443',
  'x-real-ip': '203.0.113.8',
  forwarded: 'for=203.0.113.9;proto=https;host=spoofed.example',
} as const

const events = (count: number) =>
  Array.from({ length: count }, (_, i) => `data: ${i + 1}\n\n`).join('')

/** The TLS, proxy, long-lived and upgrade parts of the server contract. */
export function describeServerDeploymentsContract(context: ServerContractContext): void {
  const { recording, run, runOn, onlySpan } = context

  describe('over TLS', () => {
    const servers = [
      ['https', "Node's https server"],
      ['h2-http1', 'an HTTP/2 server with allowHTTP1, to an HTTP/1.1 client'],
    ] as const
    for (const [transport, label] of servers) {
      it(`should record the https scheme and the client as peer on ${label}`, async () => {
        const { url, port } = await runOn(transport)
        const caller = makeTraceparent()
        const response = await send(`${url}/users/7?q=1`, {
          headers: { traceparent: caller.header },
        })
        assert.equal(response.status, 200)
        assert.deepEqual(JSON.parse(response.body), { id: '7' })
        const span = await onlySpan()
        assert.equal(span.parentId, caller.spanId)
        assert.equal(span.operationName, 'GET /users/:id')
        assert.equal(span.tags['http.url'], `https://127.0.0.1:${port}/users/7?q=1`)
        assert.equal(span.tags['http.status_code'], 200)
        assert.equal(span.tags['peer.ipv4'], '127.0.0.1')
        assert.equal(span.tags['peer.port'], response.localPort)
      })
    }
  })

  describe('when the app trusts no proxy', () => {
    it('should let no X-Forwarded-* or Forwarded header change a tag', async () => {
      const { url, port } = await run()
      const response = await send(`${url}/users/7`, { headers: SPOOFED_FORWARDING })
      assert.equal(response.status, 200)
      const span = await onlySpan()
      assert.equal(span.tags['http.url'], `http://127.0.0.1:${port}/users/7`)
      assert.equal(span.tags['peer.ipv4'], '127.0.0.1')
      assert.equal(span.tags['peer.ipv6'], undefined)
      assert.equal(span.tags['peer.port'], response.localPort)
      assert.doesNotMatch(JSON.stringify(span.tags), /spoofed|203\.0\.113|198\.51|8443/)
    })
  })

  describe('event streams (Server-Sent Events)', () => {
    it('should be one span, finished when the server ends the stream', async () => {
      const { url } = await run()
      const response = await send(`${url}/events?count=4&interval=40`)
      assert.equal(response.body, events(4))
      assert.match(String(response.headers['content-type']), /^text\/event-stream/)
      const span = await onlySpan()
      assert.equal(span.operationName, 'GET /events')
      assert.equal(span.tags['http.status_code'], 200)
      assert.equal(span.tags['http.aborted'], undefined)
      assert.ok((span.duration ?? 0) >= 110, `duration ${span.duration}`)
    })

    it('should stay one open span while the stream lasts, for seconds', async () => {
      const { url } = await run()
      const pending = send(`${url}/events?count=21&interval=100`)
      await sleep(1000)
      assert.equal(recording.tracer.openSpans().length, 1)
      assert.equal(recording.tracer.finishedSpans().length, 0)
      assert.equal((await pending).body, events(21))
      const span = await onlySpan()
      assert.ok((span.duration ?? 0) >= 1900, `duration ${span.duration}`)
      assert.equal(span.tags['http.aborted'], undefined)
    })

    it('should finish once, tagged http.aborted, when the client leaves an endless stream', async () => {
      const { url } = await run()
      assert.equal(await readEventsThenLeave(`${url}/events?count=0&interval=20`, 3), events(3))
      const span = await onlySpan()
      assert.equal(span.operationName, 'GET /events')
      assert.equal(span.tags['http.status_code'], 200)
      assert.equal(span.tags['http.aborted'], true)
      assert.equal(span.tags.error, undefined)
      assert.equal(span.finishCount, 1)
    })
  })

  describe('WebSocket upgrades', () => {
    for (const transport of ['http', 'https'] as const) {
      it(`should finish the span once, at the upgrade, with 101, never held open (${transport})`, async () => {
        const { url } = await runOn(transport)
        const caller = makeTraceparent()
        const socket = await openWebSocket(`${url.replace(/^http/, 'ws')}/ws/lobby`, {
          traceparent: caller.header,
        })
        try {
          const span = await onlySpan()
          assert.equal(socket.readyState, WebSocket.OPEN)
          assert.equal(span.parentId, caller.spanId)
          assert.equal(span.operationName, 'GET /ws/:room')
          assert.equal(span.tags['http.url'], `${url}/ws/lobby`)
          assert.equal(span.tags['http.status_code'], 101)
          assert.equal(span.tags['http.aborted'], undefined)
          assert.equal(span.tags.error, undefined)
          assert.equal(await echo(socket, 'ping'), 'ping')
        } finally {
          await closeWebSocket(socket)
        }
        await sleep(20)
        assert.equal(recording.tracer.spans().length, 1)
      })
    }

    it('should record the status of an upgrade the app answers itself', async () => {
      const { url } = await run()
      await assert.rejects(openWebSocket(`${url.replace(/^http/, 'ws')}/status/403`), /403/)
      const span = await onlySpan()
      assert.equal(span.operationName, 'GET /status/:code')
      assert.equal(span.tags['http.status_code'], 403)
      assert.equal(span.tags['http.aborted'], undefined)
    })
  })
}
