// The server contract over HTTP/2 streams, on each HTTP/2 server Node has (cleartext h2c, h2 over
// TLS, and h2 with HTTP/1.1 allowed beside it), for the adapters whose framework serves them.
// Streams share one session, so what the HTTP/1 contract proves per connection is proven per
// stream here: a reset stream ends its request alone, a lost session ends them all.
import assert from 'node:assert/strict'
import { afterEach, describe, it } from 'node:test'
import { RecordingTracer, type RecordingSpanContext } from '@tracehop/testing'
import { H2Session } from '../support/http2-client.js'
import { finishedSpans, makeTraceparent } from '../support/net.js'
import { HTTP2_TRANSPORTS, isTls } from '../support/transports.js'
import type { ServerContractContext } from './server-contract-context.js'

/** A RecordingTracer that keeps a copy of every carrier it is asked to extract from. */
class CarrierSpy extends RecordingTracer {
  readonly carriers: Array<Record<string, unknown>> = []

  protected override _extract(format: string, carrier: unknown): RecordingSpanContext | null {
    this.carriers.push({ ...(carrier as Record<string, unknown>) })
    return super._extract(format, carrier)
  }
}

const PSEUDO_HEADER = /:(path|authority|method|scheme|status|protocol)\b/

interface Seen {
  traceId: string
  spanId: string
  timer: string
}

/** The HTTP/2 part of the server contract. */
export function describeServerHttp2Contract(context: ServerContractContext): void {
  const { recording, runOn, onlySpan, component } = context

  for (const transport of HTTP2_TRANSPORTS) {
    describe(`over HTTP/2 (${transport})`, () => {
      let client: H2Session | undefined
      const connect = async () => {
        const server = await runOn(transport)
        client = await H2Session.connect(server.url)
        return { server, client }
      }
      afterEach(() => {
        client?.cut()
        client = undefined
      })
      const scheme = isTls(transport) ? 'https' : 'http'

      it('should continue the caller trace, tag scheme, authority and peer, and keep pseudo-headers out', async () => {
        const spy = new CarrierSpy()
        recording.tracer = spy
        const { server, client } = await connect()
        const caller = makeTraceparent()
        const response = await client.send('/users/7?q=1', {
          headers: { traceparent: caller.header, baggage: 'tenant=acme' },
        })
        assert.equal(response.status, 200)
        assert.deepEqual(JSON.parse(response.body), { id: '7' })
        const span = await onlySpan()
        assert.equal(span.traceId, caller.traceId)
        assert.equal(span.parentId, caller.spanId)
        assert.equal(span.getBaggageItem('tenant'), 'acme')
        assert.equal(span.operationName, 'GET /users/:id')
        assert.deepEqual(span.tags, {
          'span.kind': 'server',
          component,
          'http.method': 'GET',
          'http.url': `${scheme}://127.0.0.1:${server.port}/users/7?q=1`,
          'peer.ipv4': '127.0.0.1',
          'peer.port': client.localPort,
          'http.status_code': 200,
          'http.route': '/users/:id',
        })
        assert.equal(spy.carriers.length, 1)
        const carrier = spy.carriers[0] ?? {}
        assert.equal(carrier.traceparent, caller.header)
        assert.deepEqual(
          Object.keys(carrier).filter((name) => name.startsWith(':')),
          [],
        )
        assert.doesNotMatch(JSON.stringify(span.tags), PSEUDO_HEADER)
      })

      it('should keep the span active in the handler, after await and timers, and after parsing', async () => {
        const { client } = await connect()
        const active = JSON.parse((await client.send('/active?delay=5')).body) as Seen
        const posted = await client.send('/echo', {
          method: 'POST',
          headers: { 'content-type': 'application/json' },
          body: JSON.stringify({ hello: 'h2' }),
        })
        const echoed = JSON.parse(posted.body) as { body: unknown; spanId: string }
        const [first, second] = await finishedSpans(recording.tracer, 2)
        assert.equal(active.spanId, first?.spanId)
        assert.equal(active.timer, first?.spanId)
        assert.deepEqual(echoed.body, { hello: 'h2' })
        assert.equal(echoed.spanId, second?.spanId)
        assert.equal(second?.operationName, 'POST /echo')
      })

      it('should give each of 100 concurrent streams on one session its own span', async () => {
        const { client } = await connect()
        const callers = Array.from({ length: 100 }, () => makeTraceparent())
        const responses = await Promise.all(
          callers.map((caller) =>
            client.send(`/active?delay=${Math.floor(Math.random() * 20)}`, {
              headers: { traceparent: caller.header },
            }),
          ),
        )
        const spans = await finishedSpans(recording.tracer, 100)
        const byParent = new Map(spans.map((span) => [span.parentId, span]))
        responses.forEach((response, i) => {
          const seen = JSON.parse(response.body) as Seen
          const span = byParent.get(callers[i]?.spanId)
          assert.equal(seen.spanId, span?.spanId)
          assert.equal(seen.timer, span?.spanId)
        })
      })

      it('should finish once, aborted and with no status, when the client resets a stream before the response', async () => {
        const { client } = await connect()
        await client.resetAfter('/active?delay=400', 50)
        const span = await onlySpan()
        assert.equal(span.operationName, 'GET /active')
        assert.equal(span.tags['http.aborted'], true)
        assert.equal(span.tags['http.status_code'], undefined)
        assert.equal(span.tags.error, undefined)
        // At the reset, not when the handler answers the stream that is gone.
        assert.ok((span.duration ?? Infinity) < 350, `duration ${span.duration}`)
        await new Promise((resolve) => setTimeout(resolve, 400))
        assert.equal(span.finishCount, 1)
      })

      it('should finish once, aborted with the status sent, when the client resets a stream mid-response', async () => {
        const { client } = await connect()
        await client.resetAfterFirstChunk('/hang')
        const span = await onlySpan()
        assert.equal(span.tags['http.aborted'], true)
        assert.equal(span.tags['http.status_code'], 200)
        assert.equal(span.tags.error, undefined)
        assert.equal(span.finishCount, 1)
      })

      it('should finish an event stream once, aborted, when the client resets it', async () => {
        const { client } = await connect()
        await client.resetAfterFirstChunk('/events?count=0&interval=20')
        const span = await onlySpan()
        assert.equal(span.operationName, 'GET /events')
        assert.equal(span.tags['http.aborted'], true)
        assert.equal(span.tags['http.status_code'], 200)
      })

      it('should finish a streamed response at its end, not aborted', async () => {
        const { client } = await connect()
        assert.equal((await client.send('/stream')).body, 'abc')
        const span = await onlySpan()
        assert.equal(span.tags['http.aborted'], undefined)
        assert.equal(span.tags['http.status_code'], 200)
        assert.ok((span.duration ?? 0) >= 55, `duration ${span.duration}`)
      })

      it('should finish every span once when the session is torn down with streams open', async () => {
        const { client } = await connect()
        const started = ['/hang', '/hang', '/hang'].map((path) => {
          const stream = client.open(path)
          return new Promise((resolve) => stream.once('data', resolve))
        })
        for (let i = 0; i < 3; i++) client.open('/active?delay=2000')
        await Promise.all(started)
        await new Promise((resolve) => setTimeout(resolve, 20))
        client.cut()
        const spans = await finishedSpans(recording.tracer, 6)
        assert.equal(spans.length, 6)
        for (const span of spans) {
          assert.equal(span.tags['http.aborted'], true)
          assert.equal(span.finishCount, 1)
        }
        const statuses = spans.map((span) => span.tags['http.status_code']).sort()
        assert.deepEqual(statuses, [200, 200, 200, undefined, undefined, undefined])
      })
    })
  }
}
