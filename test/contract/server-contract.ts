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
// Errors reach the app's own error handler, which answers 500 {"error": message}.
import assert from 'node:assert/strict'
import http from 'node:http'
import net from 'node:net'
import { after, afterEach, beforeEach, describe, it } from 'node:test'
import type { ServerTracingOptions } from '@tracehop/core'
import { RecordingTracer, assertFinishedOnce, type RecordingSpan } from '@tracehop/testing'
import { Tracer } from 'opentracing'
import { FaultyTracer, type FaultPoint } from '../support/faulty-tracer.js'
import {
  abortAfterFirstChunk,
  makeTraceparent,
  send,
  finishedSpans,
  waitFor,
  type Received,
  type RunningServer,
} from '../support/net.js'

/** Builds and starts the contract app; `options` undefined means no tracing installed. */
export type StartContractApp = (options?: ServerTracingOptions) => Promise<RunningServer>

/** Runs the server contract against one adapter. */
export function describeServerContract(name: string, start: StartContractApp): void {
  describe(`${name}: server contract`, () => {
    let tracer: RecordingTracer
    let server: RunningServer | undefined

    const run = async (options: ServerTracingOptions = {}): Promise<RunningServer> => {
      server = await start({ tracer, ...options })
      return server
    }
    const onlySpan = async (): Promise<RecordingSpan> => {
      const spans = await finishedSpans(tracer, 1)
      assert.equal(spans.length, 1)
      return spans[0] as RecordingSpan
    }

    beforeEach(() => {
      tracer = new RecordingTracer()
    })
    afterEach(async () => {
      await server?.close()
      server = undefined
      assertFinishedOnce(tracer.spans())
    })

    describe('when no trace headers are sent', () => {
      it('should start a root server span with the semantic-convention tags', async () => {
        const { url, port } = await run()
        const response = await send(`${url}/users/7?q=1`)
        assert.equal(response.status, 200)
        const span = await onlySpan()
        assert.equal(span.parentId, undefined)
        assert.equal(span.operationName, 'GET /users/:id')
        assert.equal(span.tags['span.kind'], 'server')
        assert.equal(span.tags.component, name.toLowerCase().replace(/ \d+$/, ''))
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
        const spans = await finishedSpans(tracer, malformed.length)
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
        const names = new Set((await finishedSpans(tracer, 20)).map((span) => span.operationName))
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
        const spans = await finishedSpans(tracer, 500)
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

    describe('options', () => {
      it('should not trace ignored paths or predicates', async () => {
        const { url } = await run({
          ignore: ['/status/204', /^\/users\/9/],
        })
        await send(`${url}/status/204`)
        await send(`${url}/users/9`)
        await send(`${url}/users/8`)
        const span = await onlySpan()
        assert.equal(span.operationName, 'GET /users/:id')
        await server?.close()
        server = await start({ tracer, ignore: (request) => request.url.startsWith('/users') })
        await send(`${server.url}/users/1`)
        assert.equal(tracer.spans().length, 1)
      })

      it('should use operationName and give hooks one state object', async () => {
        const started: string[] = []
        const finished: Array<[string | undefined, number | undefined]> = []
        const { url } = await run({
          operationName: ({ method, route }) => `http ${method} ${route ?? '?'}`,
          onStart: ({ span, request }) => {
            started.push(request.method)
            span.setTag('custom.start', true)
          },
          onFinish: ({ span, route, statusCode }) => {
            finished.push([route, statusCode])
            span.setTag('custom.finish', true)
          },
        })
        await send(`${url}/users/3`)
        const span = await onlySpan()
        assert.equal(span.operationName, 'http GET /users/:id')
        assert.deepEqual(started, ['GET'])
        assert.deepEqual(finished, [['/users/:id', 200]])
        assert.equal(span.tags['custom.start'], true)
        assert.equal(span.tags['custom.finish'], true)
      })

      it('should still call operationName and onFinish with the no-op tracer', async () => {
        // Its spans keep nothing, so the end of the response is watched only for the hooks.
        const seen: unknown[] = []
        server = await start({
          tracer: new Tracer(),
          operationName: ({ route }) => {
            seen.push(['named', route])
            return `named ${route}`
          },
          onFinish: ({ route, statusCode, request }) =>
            seen.push([route, statusCode, request.method, request.url, request.remoteAddress]),
        })
        assert.equal((await send(`${server.url}/status/201?q=1`)).status, 201)
        await waitFor(() => seen.length === 2, 'the hooks')
        assert.deepEqual(seen, [
          ['named', '/status/:code'],
          ['/status/:code', 201, 'GET', '/status/201?q=1', '127.0.0.1'],
        ])
      })

      it('should change nothing when a hook throws, and report it', async () => {
        const reported: string[] = []
        const plain = await start(undefined)
        const expected = await send(`${plain.url}/users/3`)
        await plain.close()
        const boom = (): never => {
          throw new Error('hook failed')
        }
        const { url } = await run({
          onStart: boom,
          onFinish: boom,
          operationName: boom,
          isError: boom,
          onError: (_error, where) => reported.push(where),
        })
        const response = await send(`${url}/users/3`)
        assert.equal(response.status, expected.status)
        assert.equal(response.body, expected.body)
        const span = await onlySpan()
        assert.equal(span.operationName, 'GET /users/:id')
        assert.deepEqual(reported.sort(), ['isError', 'onFinish', 'onStart', 'operationName'])
      })

      it('should ignore the incoming context when trustIncoming is false', async () => {
        const { url } = await run({ trustIncoming: false })
        const caller = makeTraceparent()
        await send(`${url}/users/1`, {
          headers: { traceparent: caller.header, baggage: 'tenant=evil' },
        })
        const span = await onlySpan()
        assert.notEqual(span.traceId, caller.traceId)
        assert.equal(span.parentId, undefined)
        assert.equal(span.getBaggageItem('tenant'), undefined)
      })

      it('should write the trace id to a response header only when asked', async () => {
        const { url } = await run()
        assert.equal((await send(`${url}/users/1`)).headers['x-trace-id'], undefined)
        await server?.close()
        tracer.reset()
        server = await start({ tracer, traceResponseHeader: true })
        const response = await send(`${server.url}/users/1`)
        assert.equal(response.headers['x-trace-id'], (await onlySpan()).traceId)
        await server.close()
        tracer.reset()
        server = await start({ tracer, traceResponseHeader: 'trace-id' })
        const named = await send(`${server.url}/users/1`)
        assert.equal(named.headers['trace-id'], (await onlySpan()).traceId)
      })
    })

    describe('redaction', () => {
      it('should redact secret query values in http.url', async () => {
        const { url, port } = await run()
        await send(`${url}/users/1?token=s3cret&page=2&api_key=k&X-Amz-Signature=abc`)
        const span = await onlySpan()
        assert.equal(
          span.tags['http.url'],
          `http://127.0.0.1:${port}/users/1?token=REDACTED&page=2&api_key=REDACTED&X-Amz-Signature=REDACTED`,
        )
      })

      it('should drop userinfo from an absolute-form request target', async () => {
        const { port } = await run()
        const response = await rawRequest(
          port,
          `GET http://user:pa55@127.0.0.1:${port}/users/1 HTTP/1.1\r\nHost: 127.0.0.1:${port}\r\nConnection: close\r\n\r\n`,
        )
        assert.match(response, /^HTTP\/1\.1 200/)
        const span = await onlySpan()
        assert.equal(span.tags['http.url'], `http://127.0.0.1:${port}/users/1`)
        assert.doesNotMatch(JSON.stringify(span.tags), /pa55/)
      })
    })

    describe('when the tracer throws', () => {
      const points: FaultPoint[] = [
        'extract',
        'startSpan',
        'addTags',
        'log',
        'setOperationName',
        'finish',
      ]
      const routes = [
        '/users/7',
        '/fail',
        '/async-fail',
        '/status/404',
        '/status/503',
        '/nope',
        '/stream',
      ]
      let expected: Received[] = []
      const warnings: Error[] = []
      const onWarning = (warning: Error) => warnings.push(warning)

      after(() => process.off('warning', onWarning))

      for (const point of points) {
        it(`should answer exactly as without tracing when ${point} throws, and report once`, async () => {
          if (expected.length === 0) {
            const plain = await start(undefined)
            expected = await Promise.all(routes.map((route) => send(`${plain.url}${route}`)))
            await plain.close()
          }
          const reported: string[] = []
          tracer = new FaultyTracer(point)
          const { url } = await run({ onError: (_error, where) => reported.push(where) })
          for (let round = 0; round < 3; round++) {
            for (const [i, route] of routes.entries()) {
              const response = await send(`${url}${route}`, {
                headers: { traceparent: makeTraceparent().header },
              })
              assert.equal(response.status, expected[i]?.status, route)
              assert.equal(response.body, expected[i]?.body, route)
            }
          }
          assert.ok(reported.length >= 1, `nothing reported for ${point}`)
          assert.equal(
            new Set(reported).size,
            reported.length,
            `reported twice: ${reported.join()}`,
          )
          if (point !== 'startSpan' && point !== 'finish') {
            await waitFor(() => tracer.finishedSpans().length === routes.length * 3, 'spans')
          }
        })
      }

      it('should emit one process warning by default', async () => {
        process.on('warning', onWarning)
        tracer = new FaultyTracer('extract')
        const { url } = await run()
        for (let i = 0; i < 5; i++) await send(`${url}/users/1`)
        await waitFor(() => warnings.length >= 1, 'a warning')
        await new Promise((resolve) => setImmediate(resolve))
        assert.equal(warnings.filter((warning) => /extract/.test(warning.message)).length, 1)
        tracer.reset()
      })
    })
  })
}

function rawRequest(port: number, payload: string): Promise<string> {
  return new Promise((resolve, reject) => {
    let data = ''
    const socket = net.connect(port, '127.0.0.1', () => socket.write(payload))
    socket.setEncoding('utf8')
    socket.on('data', (chunk: string) => (data += chunk))
    socket.on('end', () => resolve(data))
    socket.on('error', reject)
  })
}
