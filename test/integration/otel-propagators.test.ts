// @tracehop/otel where the OTel SDK propagates a vendor's format instead of W3C trace context:
// AWS X-Ray (`x-amzn-trace-id`) and Instana (`x-instana-t`, `-s`, `-l`). An Express service on the
// bridge continues the caller's trace from those headers, sends that format on to the next hop
// (and no other), and traceHeaders() lists it, so a cross-origin page's preflight allows it.
import assert from 'node:assert/strict'
import { after, before, beforeEach, describe, it } from 'node:test'
import { propagation, type TextMapPropagator } from '@opentelemetry/api'
import { CompositePropagator, W3CBaggagePropagator } from '@opentelemetry/core'
import { AWSXRayPropagator } from '@opentelemetry/propagator-aws-xray'
import { InstanaPropagator } from '@opentelemetry/propagator-instana'
import { traceHeaders } from '@tracehop/core'
import { tracingMiddleware } from '@tracehop/express'
import { tracedFetch } from '@tracehop/fetch'
import { createOtelTracer } from '@tracehop/otel'
import express from 'express'
import { useEchoServer } from '../support/echo-server.js'
import { listen, send, type RunningServer } from '../support/net.js'
import { sdk } from '../support/otel-sdk.js'

const TRACE_ID = '5759e988bd862e3fe1be46a994272793'
const CALLER_SPAN_ID = '53995c3f42cd8ad8'

interface Format {
  name: string
  propagator: TextMapPropagator
  /** The headers a caller sends to continue its trace. */
  caller: Record<string, string>
  /** The format's headers, as traceHeaders() lists them. */
  headers: string[]
  /** The trace id and parent span id a next hop reads from what it received. */
  read(received: Record<string, unknown>): { traceId: string; parentId: string } | undefined
}

const formats: Format[] = [
  {
    name: 'AWS X-Ray',
    propagator: new AWSXRayPropagator(),
    caller: {
      'x-amzn-trace-id': `Root=1-${TRACE_ID.slice(0, 8)}-${TRACE_ID.slice(8)};Parent=${CALLER_SPAN_ID};Sampled=1`,
    },
    headers: ['x-amzn-trace-id'],
    read: (received) => {
      const match = /^Root=1-([\da-f]{8})-([\da-f]{24});Parent=([\da-f]{16});Sampled=1$/.exec(
        String(received['x-amzn-trace-id']),
      )
      return match ? { traceId: `${match[1]}${match[2]}`, parentId: String(match[3]) } : undefined
    },
  },
  {
    name: 'Instana',
    propagator: new InstanaPropagator(),
    caller: { 'x-instana-t': TRACE_ID, 'x-instana-s': CALLER_SPAN_ID, 'x-instana-l': '1' },
    headers: ['x-instana-l', 'x-instana-s', 'x-instana-t'],
    read: (received) => {
      const [traceId, parentId] = [received['x-instana-t'], received['x-instana-s']]
      if (typeof traceId !== 'string' || typeof parentId !== 'string') return undefined
      return received['x-instana-l'] === '1' ? { traceId, parentId } : undefined
    },
  },
]

const W3C_HEADERS = ['traceparent', 'tracestate']
// Core copies at most 128 headers into an extract carrier; only trace headers pass beyond that.
const MORE_HEADERS_THAN_A_CARRIER_HOLDS = 200

for (const format of formats) {
  describe(`@tracehop/otel with the ${format.name} propagator`, () => {
    const tracer = createOtelTracer()
    const next = useEchoServer()
    let service: RunningServer | undefined

    before(async () => {
      propagation.disable()
      propagation.setGlobalPropagator(
        new CompositePropagator({ propagators: [format.propagator, new W3CBaggagePropagator()] }),
      )
      const app = express()
      app.use(tracingMiddleware({ tracer }))
      const fetch = tracedFetch(globalThis.fetch, { tracer })
      app.get('/orders', (_req, res, fail) => {
        fetch(`${next.url}/stock`).then((answer) => res.sendStatus(answer.status), fail)
      })
      service = await listen(app)
    })
    after(async () => {
      await service?.close()
      propagation.disable()
    })
    beforeEach(() => {
      sdk.reset()
      next.received.length = 0
    })

    it("should continue the caller's trace and send the format on, with no W3C header", async () => {
      const answer = await send(`${service?.url}/orders`, { headers: format.caller })
      assert.equal(answer.status, 200)
      const [client, server] = sdk.spans()
      assert.equal(server?.spanContext().traceId, TRACE_ID)
      assert.equal(server?.parentSpanContext?.spanId, CALLER_SPAN_ID)
      assert.equal(client?.parentSpanContext?.spanId, server?.spanContext().spanId)
      const received = next.received[0]?.headers ?? {}
      assert.deepEqual(format.read(received), {
        traceId: TRACE_ID,
        parentId: client?.spanContext().spanId,
      })
      for (const name of W3C_HEADERS) assert.equal(received[name], undefined, `no ${name}`)
    })

    it("should list the format's headers in traceHeaders(), for a preflight to allow", () => {
      assert.deepEqual(traceHeaders({ tracer }).sort(), [...format.headers, 'baggage'].sort())
    })

    it('should continue the trace from headers sent after more than the carrier holds', async () => {
      const filler: Record<string, string> = {}
      for (let index = 0; index < MORE_HEADERS_THAN_A_CARRIER_HOLDS; index++) {
        filler[`x-filler-${index}`] = 'x'
      }
      const answer = await send(`${service?.url}/orders`, {
        headers: { ...filler, ...format.caller },
      })
      assert.equal(answer.status, 200)
      const server = sdk.spans()[1]
      assert.equal(server?.spanContext().traceId, TRACE_ID)
      assert.equal(server?.parentSpanContext?.spanId, CALLER_SPAN_ID)
    })
  })
}
