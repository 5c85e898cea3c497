// The server contract: every server adapter (Express, Fastify, …) runs this suite against an app
// it builds with the routes below, over a real socket.
//
//   GET  /users/:id                → 200 {"id": id}
//   GET  /v1/orgs/:org/users/:id   → 200 {"org", "id"}, mounted the framework's nested way
//   GET  /fail                     → throws Error('boom') synchronously
//   GET  /async-fail               → rejects with Error('async boom') after an await
//   GET  /status/:code             → that status, body "status"
//   GET  /active?delay=ms          → after an await, a timer and `delay` ms: {"traceId","spanId","timer"}
//                                    from traceIds() in the handler (`timer`: span id seen in a timer)
//   POST /echo                     → the parsed JSON body and the span id active after parsing
//   GET  /stream                   → writes "a", "b", "c" 30 ms apart, then ends
//   GET  /hang                     → writes one chunk and never ends
//   GET  /events?count=n&interval=ms → an event stream of n events (0: endless), ms apart
//   GET  /ws/:room                 → on an upgrade request, completes a WebSocket handshake (echo)
// Errors reach the app's own error handler, which answers 500 {"error": message}. The app runs on
// any transport (test/support/transports.ts); over HTTP/1, upgrade requests go through the
// framework's router as @fastify/websocket routes them.
import assert from 'node:assert/strict'
import http from 'node:http'
import { describe, it } from 'node:test'
import type { ServerTracingOptions } from '@tracehop/core'
import type { RecordingSpan } from '@tracehop/testing'
import { abortAfterFirstChunk, makeTraceparent, send, finishedSpans } from '../support/net.js'
import type { RunningServer } from '../support/net.js'
import { useRecordingTracer } from '../support/recording-tracer.js'
import type { Transport } from '../support/transports.js'
import type { ServerCapabilities, StartContractApp } from './server-contract-context.js'
import { describeServerDeploymentsContract } from './server-contract-deployments.js'
import { describeServerHttp2Contract } from './server-contract-http2.js'
import { describeServerOptionsContract } from './server-contract-options.js'

export type {
  ServerCapabilities,
  ServerContractContext,
  StartContractApp,
} from './server-contract-context.js'

/** Runs the server contract against one adapter. */
export function describeServerContract(
  name: string,
  start: StartContractApp,
  capabilities: ServerCapabilities = {},
): void {
  describe(`${name}: server contract`, () => {
    const recording = useRecordingTracer()
    const runOn = async (
      transport: Transport,
      options: ServerTracingOptions = {},
    ): Promise<RunningServer> => {
      recording.server = await start({ tracer: recording.tracer, ...options }, transport)
      return recording.server
    }
    const run = (options: ServerTracingOptions = {}) => runOn('http', options)
    const component = name.toLowerCase().replace(/ \d+$/, '')
    const onlySpan = async (): Promise<RecordingSpan> => {
      const spans = await finishedSpans(recording.tracer, 1)
      assert.equal(spans.length, 1)
      return spans[0] as RecordingSpan
    }

    describe('when no trace headers are sent', () => {
      it('should start a root server span with the semantic-convention tags', async () => {
        const { url, port } = await run()
        const response = await send(`${url}/users/7?q=1`)
        assert.equal(response.status, 200)
        const span = await onlySpan()
        assert.equal(span.parentId, undefined)
        assert.equal(span.operationName, 'GET /users/:id')
        assert.equal(span.tags['span.kind'], 'server')
        assert.equal(span.tags.component, component)
        assert.equal(span.tags['http.method'], 'GET')
        assert.equal(span.tags['http.url'], `http://127.0.0.1:${port}/users/7?q=1`)
        assert.equal(span.tags['http.status_code'], 200)
        assert.equal(span.tags['http.route'], '/users/:id')
        assert.equal(span.tags['peer.ipv4'], '127.0.0.1')
        assert.equal(typeof span.tags['peer.port'], 'number')
        assert.equal(span.tags.error, undefined)
      })
    })

    describe('when a valid traceparent is sent', () => {
      it('should continue the caller trace with the caller span as parent', async () => {
        const { url } = await run()
        const caller = makeTraceparent()
        await send(`${url}/users/1`, { headers: { traceparent: caller.header } })
        const span = await onlySpan()
        assert.equal(span.traceId, caller.traceId)
        assert.equal(span.parentId, caller.spanId)
      })

      it('should carry the caller baggage to the server span', async () => {
        const { url } = await run()
        const caller = makeTraceparent()
        await send(`${url}/users/1`, {
          headers: { traceparent: caller.header, baggage: 'tenant=acme,user=u%201' },
        })
        const span = await onlySpan()
        assert.equal(span.getBaggageItem('tenant'), 'acme')
        assert.equal(span.getBaggageItem('user'), 'u 1')
      })
    })

    describe('when the trace headers are malformed', () => {
      const malformed: Array<Record<string, string | string[]>> = [
        { traceparent: 'garbage' },
        { traceparent: '00-00000000000000000000000000000000-0000000000000000-01' },
        { traceparent: `${makeTraceparent().header}, ${makeTraceparent().header}` },
        { traceparent: 'ff-' + 'a'.repeat(32) + '-' + 'b'.repeat(16) + '-01' },
        { traceparent: 'x'.repeat(12_000) },
        { baggage: '%%%,=,k=%E0%A4%A' },
        { 'uber-trace-id': '%' },
        { constructor: 'x', __proto__: 'y', 'x-b3-traceid': 'zzz' },
      ]
      it('should start a root span and answer exactly as without tracing', async () => {
        const plain = await start(undefined)
        const expected = await send(`${plain.url}/users/5`)
        await plain.close()
        const { url } = await run()
        for (const headers of malformed) {
          const response = await send(`${url}/users/5`, { headers })
          assert.equal(response.status, expected.status)
          assert.equal(response.body, expected.body)
        }
        const spans = await finishedSpans(recording.tracer, malformed.length)
        for (const span of spans) assert.equal(span.parentId, undefined)
      })
    })

    describe('naming', () => {
      it('should name nested routes by their full template', async () => {
        const { url } = await run()
        await send(`${url}/v1/orgs/acme/users/42`)
        const span = await onlySpan()
        assert.equal(span.operationName, 'GET /v1/orgs/:org/users/:id')
        assert.equal(span.tags['http.route'], '/v1/orgs/:org/users/:id')
      })

      it('should name an unmatched request by its method alone', async () => {
        const { url } = await run()
        const response = await send(`${url}/no/such/path/123`)
        assert.equal(response.status, 404)
        const span = await onlySpan()
        assert.equal(span.operationName, 'GET')
        assert.equal(span.tags['http.route'], undefined)
        assert.equal(span.tags.error, undefined)
      })

      it('should never put raw ids or query strings in names', async () => {
        const { url } = await run()
        for (let i = 0; i < 20; i++) await send(`${url}/users/${i}?token=${i}`)
        const names = new Set(
          (await finishedSpans(recording.tracer, 20)).map((span) => span.operationName),
        )
        assert.deepEqual([...names], ['GET /users/:id'])
      })
    })

    describe('errors', () => {
      const expectErrorSpan = (span: RecordingSpan, message: string) => {
        assert.equal(span.tags.error, true)
        assert.equal(span.tags['http.status_code'], 500)
        const errorLogs = span.logs.filter((log) => log.fields.event === 'error')
        assert.equal(errorLogs.length, 1)
        const fields = errorLogs[0]?.fields ?? {}
        assert.equal(fields.message, message)
        assert.equal(fields['error.kind'], 'Error')
        assert.ok(fields['error.object'] instanceof Error)
        assert.match(String(fields.stack), /Error: /)
      }

      it('should record a synchronous throw', async () => {
        const { url } = await run()
        const response = await send(`${url}/fail`)
        assert.equal(response.status, 500)
        assert.deepEqual(JSON.parse(response.body), { error: 'boom' })
        expectErrorSpan(await onlySpan(), 'boom')
      })

      it('should record an async rejection', async () => {
        const { url } = await run()
        assert.equal((await send(`${url}/async-fail`)).status, 500)
        expectErrorSpan(await onlySpan(), 'async boom')
      })

      it('should mark a 5xx status as an error with an error log', async () => {
        const { url } = await run()
        await send(`${url}/status/503`)
        const span = await onlySpan()
        assert.equal(span.tags.error, true)
        assert.equal(span.tags['http.status_code'], 503)
        assert.equal(span.logs.filter((log) => log.fields.event === 'error').length, 1)
      })

      it('should not mark a 4xx status as an error', async () => {
        const { url } = await run()
        await send(`${url}/status/404`)
        const span = await onlySpan()
        assert.equal(span.tags.error, undefined)
        assert.equal(span.tags['http.status_code'], 404)
        assert.equal(span.logs.length, 0)
      })

      it('should let isError decide', async () => {
        const { url } = await run({ isError: ({ statusCode }) => statusCode === 404 })
        await send(`${url}/status/404`)
        assert.equal((await onlySpan()).tags.error, true)
      })
    })

    describe('the active span', () => {
      it('should be the request span in the handler, after await and in timers', async () => {
        const { url } = await run()
        const response = await send(`${url}/active?delay=5`)
        const seen = JSON.parse(response.body) as { traceId: string; spanId: string; timer: string }
        const span = await onlySpan()
        assert.equal(seen.traceId, span.traceId)
        assert.equal(seen.spanId, span.spanId)
        assert.equal(seen.timer, span.spanId)
      })

      it('should be the request span after the body was parsed', async () => {
        const { url } = await run()
        const response = await send(`${url}/echo`, {
          method: 'POST',
          headers: { 'content-type': 'application/json' },
          body: JSON.stringify({ hello: 'world' }),
        })
        const seen = JSON.parse(response.body) as { body: unknown; spanId: string }
        assert.deepEqual(seen.body, { hello: 'world' })
        assert.equal(seen.spanId, (await onlySpan()).spanId)
      })

      it('should keep 500 concurrent requests apart', async () => {
        const { url } = await run()
        const agent = new http.Agent({ keepAlive: true, maxSockets: 64 })
        const callers = Array.from({ length: 500 }, () => makeTraceparent())
        const responses = await Promise.all(
          callers.map((caller) =>
            send(`${url}/active?delay=${Math.floor(Math.random() * 20)}`, {
              agent,
              headers: { traceparent: caller.header },
            }),
          ),
        )
        agent.destroy()
        const spans = await finishedSpans(recording.tracer, 500)
        const byParent = new Map(spans.map((span) => [span.parentId, span]))
        let mismatches = 0
        responses.forEach((response, i) => {
          const seen = JSON.parse(response.body) as {
            traceId: string
            spanId: string
            timer: string
          }
          const caller = callers[i] as { traceId: string; spanId: string }
          const span = byParent.get(caller.spanId)
          if (
            span === undefined ||
            seen.traceId !== caller.traceId ||
            seen.spanId !== span.spanId ||
            seen.timer !== span.spanId
          ) {
            mismatches++
          }
        })
        assert.equal(mismatches, 0)
      })
    })

    describe('lifecycle', () => {
      it('should finish a streamed response at its end', async () => {
        const { url } = await run()
        const response = await send(`${url}/stream`)
        assert.equal(response.body, 'abc')
        const span = await onlySpan()
        assert.ok((span.duration ?? 0) >= 55, `duration ${span.duration}`)
        assert.equal(span.tags['http.aborted'], undefined)
      })

      it('should finish once, tagged http.aborted, when the client goes away mid-response', async () => {
        const { url } = await run()
        await abortAfterFirstChunk(`${url}/hang`)
        const span = await onlySpan()
        assert.equal(span.tags['http.aborted'], true)
        assert.equal(span.tags.error, undefined)
        assert.equal(span.finishCount, 1)
      })
    })

    const context = { start, recording, run, onlySpan, runOn, component }
    describeServerOptionsContract(context)
    describeServerDeploymentsContract(context)
    if (capabilities.http2 !== false) describeServerHttp2Contract(context)
  })
}
