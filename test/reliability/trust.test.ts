// The trust boundary (W3C Trace Context's security considerations; opentracing/specification#68):
// with trustIncoming false, spoofed context, sampling and debug flags and baggage are all ignored;
// with a predicate on the peer address, only the trusted caller continues its trace.
import assert from 'node:assert/strict'
import { describe, it } from 'node:test'
import { tracedFetch } from '@tracehop/fetch'
import { tracingMiddleware } from '@tracehop/express'
import { RecordingTracer, parseTraceParent } from '@tracehop/testing'
import express from 'express'
import type { ServerTracingOptions } from '@tracehop/core'
import { useEchoServer } from '../support/echo-server.js'
import { listen, makeTraceparent, send } from '../support/net.js'

const REQUESTS = 1000

describe('the trust boundary', () => {
  const echo = useEchoServer()

  async function run(options: ServerTracingOptions, from: (i: number) => string) {
    const tracer = new RecordingTracer()
    const fetch = tracedFetch(globalThis.fetch, { tracer })
    const app = express()
    app.use(tracingMiddleware({ ...options, tracer }))
    app.get('/edge/:n', async (_req, res) => {
      const response = await fetch(`${echo.url}/downstream`)
      res.json({ status: response.status })
    })
    const server = await listen(app)
    echo.received.length = 0
    const callers = Array.from({ length: REQUESTS }, () => makeTraceparent())
    try {
      for (let start = 0; start < REQUESTS; start += 50) {
        await Promise.all(
          callers.slice(start, start + 50).map((caller, j) =>
            send(`${server.url}/edge/${start + j}`, {
              localAddress: from(start + j),
              headers: {
                traceparent: caller.header,
                tracestate: 'vendor=forced',
                baggage: 'role=admin,tenant=evil',
                b3: `${caller.traceId}-${caller.spanId}-d`,
                'uber-trace-id': `${caller.traceId}:${caller.spanId}:0:3`,
                'jaeger-debug-id': 'force-sampling',
                'uberctx-role': 'admin',
              },
            }),
          ),
        )
      }
    } finally {
      await server.close()
    }
    const spoofed = new Set(callers.map((caller) => caller.traceId))
    const servers = tracer.finishedSpans().filter((span) => span.tags['span.kind'] === 'server')
    return { servers, spoofed, tracer }
  }

  it(`should continue none of ${REQUESTS} spoofed contexts and forward no baggage with trustIncoming: false`, async () => {
    const { servers, spoofed } = await run({ trustIncoming: false }, () => '127.0.0.1')
    assert.equal(servers.length, REQUESTS)
    assert.equal(servers.filter((span) => spoofed.has(span.traceId)).length, 0)
    assert.equal(servers.filter((span) => span.parentId !== undefined).length, 0)
    assert.equal(servers.filter((span) => span.baggage.size > 0).length, 0)
    assert.equal(echo.received.length, REQUESTS)
    for (const received of echo.received) {
      assert.equal(received.headers.baggage, undefined)
      const context = parseTraceParent(String(received.headers.traceparent))
      assert.ok(context)
      assert.equal(spoofed.has(context.traceId), false)
    }
  })

  it('should trust only the caller the predicate names (127.0.0.2, not 127.0.0.1)', async () => {
    const { servers, spoofed } = await run(
      { trustIncoming: (request) => request.remoteAddress?.endsWith('127.0.0.2') === true },
      (i) => (i % 2 === 0 ? '127.0.0.2' : '127.0.0.1'),
    )
    const trusted = servers.filter((span) => span.tags['peer.ipv4'] === '127.0.0.2')
    const untrusted = servers.filter((span) => span.tags['peer.ipv4'] === '127.0.0.1')
    assert.equal(trusted.length, REQUESTS / 2)
    assert.equal(untrusted.length, REQUESTS / 2)
    assert.equal(trusted.filter((span) => spoofed.has(span.traceId)).length, REQUESTS / 2)
    assert.equal(untrusted.filter((span) => spoofed.has(span.traceId)).length, 0)
    assert.equal(untrusted.filter((span) => span.baggage.size > 0).length, 0)
  })
})
