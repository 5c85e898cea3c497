// Context isolation (nodejs/node#34400 keep-alive pools carrying the wrong store;
// opentelemetry-js#1152 body parsers; elysiajs/opentelemetry#57 one aborted request leaking its
// trace into all later ones). Each of five servers takes 1,000 requests at concurrency 100 over
// reused connections; each request works through timers, setImmediate, an EventEmitter and a
// parsed body, then calls out with axios, fetch and node:http on a 4-socket keep-alive agent.
// Every one of the 3,000 outbound calls must carry its own request's trace, under a client span
// whose parent is that request's server span.
import assert from 'node:assert/strict'
import http from 'node:http'
import { after, before, describe, it } from 'node:test'
import { activeSpan } from '@tracehop/core'
import { RecordingTracer, assertFinishedOnce, parseTraceParent } from '@tracehop/testing'
import { useEchoServer } from '../support/echo-server.js'
import {
  abortAfterFirstChunk,
  finishedSpans,
  makeTraceparent,
  pooled,
  send,
  type RunningServer,
} from '../support/net.js'
import { VARIANTS, bus, startIsolationApp, type Seen } from './support/isolation-app.js'

const REQUESTS = 1000
const CONCURRENCY = 100

/** What a request's outbound calls must carry: its trace, and its caller's span (if any). */
interface Expected {
  traceId: string
  callerSpanId: string | undefined
}

describe('concurrent requests never share a trace', () => {
  const echo = useEchoServer()
  // A timer started outside any request: no span may ever be active in it.
  let ticks = 0
  let leakedIntoTimer = 0
  let ticker: NodeJS.Timeout | undefined
  before(() => {
    ticker = setInterval(() => {
      ticks++
      if (activeSpan() !== undefined) leakedIntoTimer++
      bus.emit('tick')
    }, 1)
  })
  after(() => {
    clearInterval(ticker)
  })

  /** Posts request `n` and checks what its handler saw; returns what its calls must carry. */
  async function post(app: RunningServer, n: number, inbound: http.Agent, traced: boolean) {
    const caller = traced ? makeTraceparent() : undefined
    const response = await send(`${app.url}/work/${n}`, {
      method: 'POST',
      agent: inbound,
      headers: {
        'content-type': 'application/json',
        ...(caller === undefined ? {} : { traceparent: caller.header }),
      },
      body: JSON.stringify({ n }),
    })
    assert.equal(response.status, 200, response.body)
    const traceId = String(response.headers['x-trace-id'])
    if (caller !== undefined) assert.equal(traceId, caller.traceId)
    assert.deepEqual(JSON.parse(response.body) as Seen, { n, userStore: n, traceId })
    return { traceId, callerSpanId: caller?.spanId }
  }

  /** The outbound calls the echo server received that did not carry their request's trace. */
  function crossedCalls(tracer: RecordingTracer, expected: Map<number, Expected>): string[] {
    const spans = new Map(tracer.spans().map((span) => [span.spanId, span]))
    const crossed: string[] = []
    for (const { url, headers } of echo.received) {
      const [, via, n] = url.split('/')
      const want = expected.get(Number(n))
      const sent = parseTraceParent(String(headers.traceparent))
      const clientSpan = spans.get(sent?.spanId ?? '')
      const serverSpan = spans.get(clientSpan?.parentId ?? '')
      const ok =
        want !== undefined &&
        sent?.traceId === want.traceId &&
        clientSpan?.tags['span.kind'] === 'client' &&
        serverSpan?.tags['span.kind'] === 'server' &&
        serverSpan.traceId === want.traceId &&
        serverSpan.parentId === want.callerSpanId
      if (!ok) crossed.push(`${String(via)} call of request ${String(n)}`)
    }
    return crossed
  }

  for (const variant of VARIANTS) {
    it(`${variant}: 1,000 requests x 3 outbound calls, 0 carrying another request's trace`, async () => {
      echo.received.length = 0
      const tracer = new RecordingTracer()
      const outbound = new http.Agent({ keepAlive: true, maxSockets: 4 })
      const inbound = new http.Agent({ keepAlive: true, maxSockets: CONCURRENCY })
      const app = await startIsolationApp(variant, tracer, echo.url, outbound)
      const expected = new Map<number, Expected>()
      const ticksBefore = ticks
      try {
        await pooled(REQUESTS, CONCURRENCY, async (n) => {
          expected.set(n, await post(app, n, inbound, true))
        })
      } finally {
        inbound.destroy()
        outbound.destroy()
        await app.close()
      }
      await finishedSpans(tracer, 4 * REQUESTS)
      assert.equal(echo.received.length, 3 * REQUESTS)
      const crossed = crossedCalls(tracer, expected)
      assert.deepEqual(crossed.slice(0, 5), [], `${crossed.length} calls crossed`)
      assertFinishedOnce(tracer.spans())
      assert.ok(ticks > ticksBefore, 'the outside timer ran during the load')
      assert.equal(leakedIntoTimer, 0)
      assert.equal(activeSpan(), undefined)
    })

    it(`${variant}: aborted requests interleaved with fresh ones leak nothing into them`, async () => {
      echo.received.length = 0
      const tracer = new RecordingTracer()
      const outbound = new http.Agent({ keepAlive: true, maxSockets: 4 })
      const inbound = new http.Agent({ keepAlive: true, maxSockets: 20 })
      const app = await startIsolationApp(variant, tracer, echo.url, outbound)
      const expected = new Map<number, Expected>()
      try {
        // Even indices abort a hanging request; odd ones send a fresh request with no headers.
        await pooled(200, 20, async (i) => {
          if (i % 2 === 0) await abortAfterFirstChunk(`${app.url}/hang`)
          else expected.set(i, await post(app, i, inbound, false))
        })
      } finally {
        inbound.destroy()
        outbound.destroy()
        await app.close()
      }
      const spans = await finishedSpans(tracer, 200 + 300)
      const abortedTraces = new Set(
        spans.filter((span) => span.tags['http.aborted'] === true).map((span) => span.traceId),
      )
      assert.equal(abortedTraces.size, 100)
      const freshTraces = new Set([...expected.values()].map(({ traceId }) => traceId))
      assert.equal(freshTraces.size, 100, 'fresh requests got duplicate trace ids')
      assert.deepEqual(
        [...freshTraces].filter((id) => abortedTraces.has(id)),
        [],
      )
      assert.deepEqual(crossedCalls(tracer, expected), [])
      assertFinishedOnce(tracer.spans())
    })
  }
})
