// Long-lived responses leave nothing behind: thousands of event streams (half ended by the server,
// half left by the client, over HTTP/1.1 and over HTTP/2 streams) and of WebSocket upgrades per
// server adapter. After a forced GC the heap must not have grown by 5 MB or more since the warm-up,
// kept-alive sockets must hold as many listeners as before, an upgraded socket must hold exactly
// the listeners it holds without tracing, and no span may stay open. LONG_LIVED_CONNECTIONS sets
// the connections per kind (2,000 by default).
import assert from 'node:assert/strict'
import http from 'node:http'
import type { Socket } from 'node:net'
import { describe, it } from 'node:test'
import { RecordingTracer } from '@tracehop/testing'
import express from 'express'
import fastify from 'fastify'
import type { StartContractApp } from '../contract/server-contract-context.js'
import { expressContractApp } from '../support/express-app.js'
import { fastifyContractApp, type FastifyModule } from '../support/fastify-app.js'
import { freeSocketListeners, heapAfterGc } from '../support/heap.js'
import { H2Session } from '../support/http2-client.js'
import { koaContractApp } from '../support/koa-app.js'
import {
  closeWebSocket,
  echo,
  lastAcceptedSocket,
  openWebSocket,
  readEventsThenLeave,
} from '../support/long-lived.js'
import { pooled, send, waitFor, type RunningServer } from '../support/net.js'

const CONNECTIONS = Number(process.env.LONG_LIVED_CONNECTIONS ?? 2000)
const WARM_UP = 300
const CONCURRENCY = 25
const MAX_GROWTH = 5 * 1024 * 1024

const ADAPTERS: Array<[string, StartContractApp, boolean]> = [
  ['express', expressContractApp(express), false],
  ['fastify', fastifyContractApp(fastify as FastifyModule), true],
  ['koa', koaContractApp(), true],
]

// Runs `count` rounds of `round` in batches of 500, emptying the tracer after each once its spans
// all finished; `batch` runs around each batch.
async function rounds(
  tracer: RecordingTracer,
  count: number,
  round: (index: number) => Promise<void>,
  batch: (run: () => Promise<void>) => Promise<void> = (run) => run(),
): Promise<void> {
  for (let done = 0; done < count; done += 500) {
    await batch(async () => {
      await pooled(Math.min(500, count - done), CONCURRENCY, round)
    })
    await waitFor(() => tracer.openSpans().length === 0, 'every span finished', 5000)
    assert.equal(tracer.finishedSpans().length, Math.min(500, count - done))
    tracer.reset()
  }
}

// Warms up, then runs the load and checks the heap did not grow.
async function flatHeap(load: (count: number) => Promise<void>): Promise<number> {
  await load(WARM_UP)
  const before = await heapAfterGc()
  await load(CONNECTIONS)
  const growth = (await heapAfterGc()) - before
  assert.ok(growth < MAX_GROWTH, `heap grew by ${(growth / 2 ** 20).toFixed(1)} MB`)
  return growth
}

function listenerCounts(socket: Socket): Record<string, number> {
  return Object.fromEntries(socket.eventNames().map((name) => [name, socket.listenerCount(name)]))
}

// The listeners the server's side of one WebSocket holds once it is open.
async function upgradedSocketListeners(server: RunningServer): Promise<Record<string, number>> {
  const ws = await openWebSocket(`${server.url.replace(/^http/, 'ws')}/ws/probe`)
  try {
    await echo(ws, 'x')
    const socket = lastAcceptedSocket()
    assert.ok(socket !== undefined)
    return listenerCounts(socket)
  } finally {
    await closeWebSocket(ws)
  }
}

for (const [name, start, servesHttp2] of ADAPTERS) {
  describe(`${name}: ${CONNECTIONS.toLocaleString('en')} long-lived responses leave nothing behind`, () => {
    it('event streams over HTTP/1.1, ended by either side', async (t) => {
      const tracer = new RecordingTracer()
      const server = await start({ tracer })
      const agent = new http.Agent({ keepAlive: true, maxSockets: CONCURRENCY })
      try {
        const load = (count: number) =>
          rounds(tracer, count, async (i) => {
            if (i % 2 === 0) {
              await readEventsThenLeave(`${server.url}/events?count=0&interval=5`, 1)
            } else {
              const { body } = await send(`${server.url}/events?count=2&interval=1`, { agent })
              assert.equal(body, 'data: 1\n\ndata: 2\n\n')
            }
          })
        await load(WARM_UP)
        const listenersBefore = freeSocketListeners(agent)
        const growth = await flatHeap(load)
        t.diagnostic(`heap growth ${(growth / 2 ** 20).toFixed(2)} MB`)
        assert.ok(listenersBefore.length > 0)
        assert.equal(Math.max(...freeSocketListeners(agent)), Math.max(...listenersBefore))
      } finally {
        agent.destroy()
        await server.close()
      }
    })

    it('WebSocket upgrades, each span finished at the upgrade', async (t) => {
      const tracer = new RecordingTracer()
      const server = await start({ tracer })
      const plain = await start(undefined)
      try {
        const load = (count: number) =>
          rounds(tracer, count, async (i) => {
            const ws = await openWebSocket(`${server.url.replace(/^http/, 'ws')}/ws/${i}`)
            assert.equal(await echo(ws, `m${i}`), `m${i}`)
            await closeWebSocket(ws)
          })
        const growth = await flatHeap(load)
        t.diagnostic(`heap growth ${(growth / 2 ** 20).toFixed(2)} MB`)
        assert.deepEqual(
          await upgradedSocketListeners(server),
          await upgradedSocketListeners(plain),
        )
        tracer.reset()
      } finally {
        await plain.close()
        await server.close()
      }
    })

    if (servesHttp2) {
      it('event streams over HTTP/2 streams of one session, ended by either side', async (t) => {
        const tracer = new RecordingTracer()
        const server = await start({ tracer }, 'h2c')
        // A session per batch: Node ends a session whose client resets streams faster than
        // nghttp2's rapid-reset limit allows.
        let client: H2Session | undefined
        const perSession = async (run: () => Promise<void>) => {
          client = await H2Session.connect(server.url)
          await run()
          await client.close()
        }
        try {
          const load = (count: number) =>
            rounds(
              tracer,
              count,
              async (i) => {
                const session = client as H2Session
                if (i % 2 === 0) await session.resetAfterFirstChunk('/events?count=0&interval=5')
                else assert.equal((await session.send('/events?count=2&interval=1')).status, 200)
              },
              perSession,
            )
          const growth = await flatHeap(load)
          t.diagnostic(`heap growth ${(growth / 2 ** 20).toFixed(2)} MB`)
        } finally {
          client?.cut()
          await server.close()
        }
      })
    }
  })
}
