// Two Express services on loopback, the first calling the second through core's client
// lifecycle: one trace, each span the child of the one that called it, and the headers the next
// hop actually received.
import assert from 'node:assert/strict'
import type { IncomingHttpHeaders } from 'node:http'
import { setTimeout as sleep } from 'node:timers/promises'
import { after, before, describe, it } from 'node:test'
import { createClientTracing } from '@tracehop/core/adapter'
import { tracingMiddleware } from '@tracehop/express'
import { RecordingTracer, assertFinishedOnce, parseTraceParent } from '@tracehop/testing'
import express from 'express'
import { listen, makeTraceparent, send, waitFor, type RunningServer } from '../support/net.js'

describe('two Express hops', () => {
  const tracer = new RecordingTracer()
  const received: IncomingHttpHeaders[] = []
  let downstream: RunningServer
  let upstream: RunningServer

  before(async () => {
    const second = express()
    second.use(tracingMiddleware({ tracer }))
    second.get('/echo/:n', async (req, res) => {
      received.push(req.headers)
      await sleep(Math.random() * 10)
      res.json({ headers: req.headers })
    })
    downstream = await listen(second)
    const client = createClientTracing('test-fetch', { tracer })
    const first = express()
    first.use(tracingMiddleware({ tracer }))
    first.get('/call/:n', async (req, res) => {
      await sleep(Math.random() * 10)
      const url = `${downstream.url}/echo/${req.params.n}`
      const call = client.start({ method: 'GET', url })
      const headers = { accept: 'application/json', ...call?.headers }
      const response = await fetch(url, { headers })
      call?.finish({ statusCode: response.status })
      res.json(await response.json())
    })
    upstream = await listen(first)
  })
  after(async () => {
    await upstream.close()
    await downstream.close()
  })

  it('should join both services into one trace, hop by hop, under 200 concurrent chains', async () => {
    const callers = Array.from({ length: 200 }, () => makeTraceparent())
    const responses = await Promise.all(
      callers.map((caller, n) =>
        send(`${upstream.url}/call/${n}`, { headers: { traceparent: caller.header } }),
      ),
    )
    await waitFor(() => tracer.finishedSpans().length === 600, '600 spans', 10_000)
    assertFinishedOnce(tracer.spans())
    const byId = new Map(tracer.finishedSpans().map((span) => [span.spanId, span]))
    let wrong = 0
    responses.forEach((response, n) => {
      const caller = callers[n]!
      const sent = (JSON.parse(response.body) as { headers: IncomingHttpHeaders }).headers
      const context = parseTraceParent(String(sent.traceparent))
      const clientSpan = context && byId.get(context.spanId)
      const serverSpan = clientSpan && byId.get(clientSpan.parentId ?? '')
      const downstreamSpan = tracer
        .finishedSpans()
        .find((span) => span.parentId === clientSpan?.spanId)
      const ok =
        context?.traceId === caller.traceId &&
        clientSpan?.tags['span.kind'] === 'client' &&
        serverSpan?.parentId === caller.spanId &&
        serverSpan.operationName === 'GET /call/:n' &&
        downstreamSpan?.operationName === 'GET /echo/:n' &&
        downstreamSpan.traceId === caller.traceId
      if (!ok) wrong++
    })
    assert.equal(wrong, 0)
    assert.equal(received.length, 200)
    for (const headers of received) assert.equal(headers.accept, 'application/json')
  })
})
