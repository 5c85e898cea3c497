// The client contract: every client adapter (axios, fetch, …) runs this suite against a real
// echo server on loopback that answers with the headers it received.
import assert from 'node:assert/strict'
import { afterEach, beforeEach, describe, it } from 'node:test'
import { withSpan, type ClientTracingOptions } from '@tracehop/core'
import { parseTraceParent } from '@tracehop/testing'
import { ChaosTracer, type ChaosPoint } from '../support/chaos-tracer.js'
import { closedPortUrl, useEchoServer, type Echo } from '../support/echo-server.js'
import { finishedSpans } from '../support/net.js'
import { useRecordingTracer } from '../support/recording-tracer.js'

/** One request as the contract makes it. */
export interface ContractRequest {
  method?: string
  headers?: Record<string, string>
  signal?: AbortSignal
  timeoutMs?: number
  /**
   * For an `https` URL, which the client must reach trusting the test certificate: the loopback
   * port to connect to whatever the URL's host and port (see test/support/tls-clients.ts).
   */
  connectTo?: number
}

/** What a client adapter gives the contract: a way to send a request, recording or not. */
export interface ContractClient {
  /** Resolves with the status and parsed JSON body, whatever the status; rejects like the client. */
  send(url: string, request?: ContractRequest): Promise<{ status: number; echo: Echo }>
  /** Removes the instrumentation, if it can be removed. */
  dispose(): void
}

/** Builds a client; `options` undefined means no tracing installed. */
export type CreateContractClient = (options?: ClientTracingOptions) => ContractClient

/** Runs the client contract against one adapter; `component` is its expected tag. */
export function describeClientContract(component: string, create: CreateContractClient): void {
  describe(`${component}: client contract`, () => {
    const echo = useEchoServer()
    const secureEcho = useEchoServer('https')
    const recording = useRecordingTracer()
    let client: ContractClient

    beforeEach(() => {
      client = create({ tracer: recording.tracer })
    })
    afterEach(() => {
      client.dispose()
    })

    it('should send the client span context, child of the active span', async () => {
      const parent = recording.tracer.startSpan('handler')
      const { status, echo: received } = await withSpan(parent, () =>
        client.send(`${echo.url}/items/7?q=1`),
      )
      parent.finish()
      assert.equal(status, 200)
      const span = recording.tracer.finishedSpans()[0]!
      const sent = parseTraceParent(String(received.headers.traceparent))
      assert.equal(sent?.spanId, span.spanId)
      assert.equal(sent?.traceId, parent.traceId)
      assert.equal(span.parentId, parent.spanId)
      assert.equal(span.operationName, `GET 127.0.0.1:${echo.port}`)
      assert.deepEqual(span.tags, {
        'span.kind': 'client',
        component,
        'http.method': 'GET',
        'http.url': `${echo.url}/items/7?q=1`,
        'peer.hostname': '127.0.0.1',
        'peer.port': echo.port,
        'http.status_code': 200,
      })
    })

    it('should start a root span when no span is active', async () => {
      await client.send(`${echo.url}/x`)
      const [span] = recording.tracer.finishedSpans()
      assert.equal(span?.parentId, undefined)
    })

    it('should record >= 400 as an error, unless isError says otherwise', async () => {
      const { status } = await client.send(`${echo.url}/status/404`)
      assert.equal(status, 404)
      const [span] = recording.tracer.finishedSpans()
      assert.equal(span?.tags['http.status_code'], 404)
      assert.equal(span?.tags.error, true)
      assert.deepEqual(
        span?.logs.map((log) => log.fields['error.kind']),
        ['HTTPStatus'],
        'the status is the failure, not an error object the client made of it',
      )
      client.dispose()
      client = create({
        tracer: recording.tracer,
        isError: ({ statusCode }) => (statusCode ?? 0) >= 500,
      })
      await client.send(`${echo.url}/status/404`)
      assert.equal(recording.tracer.finishedSpans()[1]?.tags.error, undefined)
    })

    it('should record a refused connection as an error and rethrow what the client throws', async () => {
      const url = await closedPortUrl()
      const plain = create(undefined)
      const expected = await plain.send(url).then(
        () => assert.fail('the plain client connected'),
        (error: unknown) => error,
      )
      plain.dispose()
      const actual = await client.send(url).then(
        () => assert.fail('the recording client connected'),
        (error: unknown) => error,
      )
      assert.equal(Object.getPrototypeOf(actual), Object.getPrototypeOf(expected))
      assert.equal((actual as Error).message, (expected as Error).message)
      const [span] = recording.tracer.finishedSpans()
      assert.equal(span?.tags.error, true)
      assert.equal(span?.logs[0]?.fields['error.object'], actual)
    })

    it('should record a timeout distinctly', async () => {
      await assert.rejects(client.send(`${echo.url}/slow`, { timeoutMs: 50 }))
      const [span] = await finishedSpans(recording.tracer)
      assert.equal(span?.tags['http.timeout'], true)
      assert.equal(span?.tags.error, true)
    })

    it('should record a cancellation as aborted, not as an error', async () => {
      const controller = new AbortController()
      const pending = client.send(`${echo.url}/slow`, { signal: controller.signal })
      setTimeout(() => controller.abort(), 20)
      await assert.rejects(pending)
      const [span] = await finishedSpans(recording.tracer)
      assert.equal(span?.tags['http.aborted'], true)
      assert.equal(span?.tags.error, undefined)
    })

    it('should replace a traceparent the caller set, never send two, and not touch their headers', async () => {
      const headers = {
        traceparent: '00-11111111111111111111111111111111-2222222222222222-01',
        'x-app': 'a',
      }
      const before = JSON.stringify(headers)
      const { echo: received } = await client.send(`${echo.url}/x`, { headers })
      assert.equal(JSON.stringify(headers), before)
      assert.equal(received.headers['x-app'], 'a')
      const lines = received.rawHeaders.filter(
        (_, i) => i % 2 === 0 && /^traceparent$/i.test(received.rawHeaders[i]!),
      )
      assert.equal(lines.length, 1)
      assert.equal(
        parseTraceParent(String(received.headers.traceparent))?.spanId,
        recording.tracer.finishedSpans()[0]?.spanId,
      )
    })

    it('should send no trace headers where propagate says no, and still record the span', async () => {
      client.dispose()
      client = create({
        tracer: recording.tracer,
        propagate: (url) => !url.includes('/third-party'),
      })
      const { echo: received } = await client.send(`${echo.url}/third-party/hook`)
      assert.equal(received.headers.traceparent, undefined)
      assert.equal(recording.tracer.finishedSpans().length, 1)
    })

    describe('over TLS', () => {
      it('should record the https URL and its port, and send the context', async () => {
        const url = `${secureEcho.url}/items/7?q=1`
        const { status, echo: received } = await client.send(url)
        assert.equal(status, 200)
        const [span] = recording.tracer.finishedSpans()
        assert.equal(span?.operationName, `GET 127.0.0.1:${secureEcho.port}`)
        assert.equal(span?.tags['http.url'], url)
        assert.equal(span?.tags['peer.hostname'], '127.0.0.1')
        assert.equal(span?.tags['peer.port'], secureEcho.port)
        assert.equal(parseTraceParent(String(received.headers.traceparent))?.spanId, span?.spanId)
      })

      it('should record port 443 for an https URL that names none', async () => {
        const url = 'https://api.tracehop.test/items/7?q=1'
        const { status, echo: received } = await client.send(url, {
          connectTo: secureEcho.port,
        })
        assert.equal(status, 200)
        assert.equal(received.headers.host, 'api.tracehop.test')
        const [span] = recording.tracer.finishedSpans()
        assert.equal(span?.operationName, 'GET api.tracehop.test:443')
        assert.equal(span?.tags['http.url'], url)
        assert.equal(span?.tags['peer.hostname'], 'api.tracehop.test')
        assert.equal(span?.tags['peer.port'], 443)
        assert.equal(span?.tags.error, undefined)
        assert.equal(parseTraceParent(String(received.headers.traceparent))?.spanId, span?.spanId)
      })
    })

    describe('when the tracer throws', () => {
      // A finish() that throws before finishing is the chaos suite's: here every span must finish.
      const points: ChaosPoint[] = [
        'startSpan throws',
        'inject throws',
        'setTag and addTags throw',
        'log throws',
        'finish throws after finishing',
      ]
      for (const point of points) {
        it(`should make the call and return its result unchanged when ${point}`, async () => {
          client.dispose()
          recording.tracer = new ChaosTracer(point)
          const reported: string[] = []
          client = create({
            tracer: recording.tracer,
            onError: (_error, where) => reported.push(where),
          })
          const ok = await client.send(`${echo.url}/status/201`, { headers: { 'x-n': '1' } })
          assert.equal(ok.status, 201)
          assert.equal(ok.echo.headers['x-n'], '1')
          const failed = await client.send(`${echo.url}/status/503`)
          assert.equal(failed.status, 503)
          assert.ok(reported.length >= 1, `nothing reported for ${point}`)
        })
      }
    })
  })
}
