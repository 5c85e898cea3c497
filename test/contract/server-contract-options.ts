// The server contract's second half: every option, the redaction of http.url, and a tracer that
// throws. describeServerContract() runs it within each adapter's suite, on the same routes.
import assert from 'node:assert/strict'
import net from 'node:net'
import { after, describe, it } from 'node:test'
import { Tracer } from 'opentracing'
import { ChaosTracer, type ChaosPoint } from '../support/chaos-tracer.js'
import { makeTraceparent, send, waitFor, type Received } from '../support/net.js'
import type { ServerContractContext } from './server-contract-context.js'

/** The options, redaction and tracer-failure parts of the server contract. */
export function describeServerOptionsContract(context: ServerContractContext): void {
  const { start, recording, run, onlySpan } = context

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
      await recording.server?.close()
      recording.server = await start({
        tracer: recording.tracer,
        ignore: (request) => request.url.startsWith('/users'),
      })
      await send(`${recording.server.url}/users/1`)
      assert.equal(recording.tracer.spans().length, 1)
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
      recording.server = await start({
        tracer: new Tracer(),
        operationName: ({ route }) => {
          seen.push(['named', route])
          return `named ${route}`
        },
        onFinish: ({ route, statusCode, request }) =>
          seen.push([route, statusCode, request.method, request.url, request.remoteAddress]),
      })
      assert.equal((await send(`${recording.server.url}/status/201?q=1`)).status, 201)
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
      await recording.server?.close()
      recording.tracer.reset()
      recording.server = await start({ tracer: recording.tracer, traceResponseHeader: true })
      const response = await send(`${recording.server.url}/users/1`)
      assert.equal(response.headers['x-trace-id'], (await onlySpan()).traceId)
      await recording.server.close()
      recording.tracer.reset()
      recording.server = await start({ tracer: recording.tracer, traceResponseHeader: 'trace-id' })
      const named = await send(`${recording.server.url}/users/1`)
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

    it('should keep the scheme of a request without a Host, which leaves http.url a path', async () => {
      const { port } = await run()
      const response = await rawRequest(port, 'GET /users/1?token=s3cret HTTP/1.0\r\n\r\n')
      assert.match(response, /^HTTP\/1\.[01] 200/)
      const span = await onlySpan()
      assert.equal(span.tags['http.url'], '/users/1?token=REDACTED')
      assert.equal(span.tags['url.scheme'], 'http')
    })
  })

  describe('when the tracer throws', () => {
    // A finish() that throws before finishing is the chaos suite's: here every span must finish.
    const points: ChaosPoint[] = [
      'extract throws',
      'startSpan throws',
      'setTag and addTags throw',
      'log throws',
      'setOperationName throws',
      'finish throws after finishing',
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
      it(`should answer exactly as without tracing when ${point}, and report once`, async () => {
        if (expected.length === 0) {
          const plain = await start(undefined)
          expected = await Promise.all(routes.map((route) => send(`${plain.url}${route}`)))
          await plain.close()
        }
        const reported: string[] = []
        recording.tracer = new ChaosTracer(point)
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
        assert.equal(new Set(reported).size, reported.length, `reported twice: ${reported.join()}`)
        if (point !== 'startSpan throws' && point !== 'finish throws after finishing') {
          await waitFor(
            () => recording.tracer.finishedSpans().length === routes.length * 3,
            'spans',
          )
        }
      })
    }

    it('should emit one process warning by default', async () => {
      process.on('warning', onWarning)
      recording.tracer = new ChaosTracer('extract throws')
      const { url } = await run()
      for (let i = 0; i < 5; i++) await send(`${url}/users/1`)
      await waitFor(() => warnings.length >= 1, 'a warning')
      await new Promise((resolve) => setImmediate(resolve))
      assert.equal(warnings.filter((warning) => /extract/.test(warning.message)).length, 1)
      recording.tracer.reset()
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
