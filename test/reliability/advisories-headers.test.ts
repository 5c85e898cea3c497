// One regression test per advisory or bug report on untrusted headers, names, redaction and
// trust, each titled after the advisory or report it guards against. Most run a
// real Express server; the rest call core's lifecycle API as an adapter would.
import assert from 'node:assert/strict'
import { afterEach, describe, it } from 'node:test'
import { createServerTracing, type ServerTracingOptions } from '@tracehop/core/adapter'
import { RecordingTracer, type RecordingSpan } from '@tracehop/testing'
import express from 'express'
import jaeger from 'jaeger-client'
import type { SpanOptions, Tracer } from 'opentracing'
import { expressContractApp } from '../support/express-app.js'
import { finishedSpans, makeTraceparent, send, type RunningServer } from '../support/net.js'
import { toCarrier } from '../../packages/core/src/carrier.js'
import { redactUrl } from '../../packages/core/src/url.js'

/** A recording tracer that also keeps every carrier its extract was given. */
class CapturingTracer extends RecordingTracer {
  readonly carriers: Array<Record<string, string>> = []
  protected override _extract(format: string, carrier: unknown) {
    this.carriers.push({ ...(carrier as Record<string, string>) })
    return super._extract(format, carrier)
  }
}

const startExpress = expressContractApp(express)
let server: RunningServer | undefined
afterEach(async () => {
  await server?.close()
  server = undefined
})

/** Sends GET `path` with `headers` to a traced Express app; returns the status and the span. */
async function trace(
  headers: Record<string, string | string[]>,
  options: ServerTracingOptions & { tracer: RecordingTracer },
  path = '/users/1',
): Promise<{ status: number; span: RecordingSpan }> {
  server = await startExpress(options)
  const { status } = await send(`${server.url}${path}`, { headers })
  const [span] = await finishedSpans(options.tracer)
  assert.ok(span)
  return { status, span }
}

// jaeger-client exports these, its community typings do not.
const jaegerClient = jaeger as typeof jaeger & {
  InMemoryReporter: new () => object
  ConstSampler: new (decision: boolean) => object
  Tracer: new (service: string, reporter: object, sampler: object) => Tracer
}
const jaegerTracer = () =>
  new jaegerClient.Tracer(
    'advisories',
    new jaegerClient.InMemoryReporter(),
    new jaegerClient.ConstSampler(true),
  )
const VALID_UBER = '4bf92f3577b34da6:00f067aa0ba902b7:0:1'

describe('regressions: parsing untrusted headers', () => {
  it('GHSA-45rx-2jwx-cxfr: a bare % in uber-trace-id or uberctx-* fails neither the request nor the process', async () => {
    // The vulnerable propagator's move: decodeURIComponent on the raw values, unguarded.
    class DecodingTracer extends RecordingTracer {
      protected override _extract(format: string, carrier: unknown) {
        for (const [key, value] of Object.entries(carrier as Record<string, string>)) {
          if (key === 'uber-trace-id' || key.startsWith('uberctx-')) decodeURIComponent(value)
        }
        return super._extract(format, carrier)
      }
    }
    for (const value of ['%ZZ', 'abc%G:123:0:01', '%']) {
      const reported: string[] = []
      const tracer = new DecodingTracer()
      const headers = { 'uber-trace-id': value, 'uberctx-user': value }
      const { status, span } = await trace(headers, {
        tracer,
        onError: (_error, where) => reported.push(where),
      })
      assert.equal(status, 200)
      assert.equal(span.parentId, undefined)
      assert.deepEqual(reported, ['extract'])
      await server?.close()
      server = undefined
    }
  })

  it('jaeger-client-python#157, zipkin-js#198, spring-cloud-sleuth#306, jaeger-client-java#524: malformed uber-trace-id and X-B3 headers never answer 500', async () => {
    server = await startExpress({ tracer: jaegerTracer() })
    for (const headers of [
      { 'uber-trace-id': 'zzz:yyy:0:1' },
      { 'uber-trace-id': ':::' },
      { 'uber-trace-id': `${'f'.repeat(200)}:1:0:1` },
      { 'x-b3-traceid': 'not-hex', 'x-b3-spanid': '', 'x-b3-sampled': 'maybe' },
      { b3: '-'.repeat(300) },
    ]) {
      assert.equal((await send(`${server.url}/users/1`, { headers })).status, 200)
    }
  })

  it('GHSA-8988-4f7v-96qf / CVE-2026-54285: inbound baggage is capped on extract, not only on inject', async () => {
    const tracer = new CapturingTracer()
    const { status } = await trace({ baggage: `k=${'v'.repeat(10_000)}` }, { tracer })
    assert.equal(status, 200)
    assert.equal(tracer.carriers[0]?.baggage, undefined)
  })

  it('GHSA-mh2q-q3fh-2475 / CVE-2026-29181: many baggage lines share one limit', async () => {
    const tracer = new CapturingTracer()
    const lines = Array.from({ length: 4 }, (_, i) => `k${i}=${'v'.repeat(3000)}`)
    await trace({ baggage: lines }, { tracer })
    assert.equal(tracer.carriers[0]?.baggage, undefined, 'four 3 KB lines make 12 KB together')
  })

  it('GHSA-5wrp-cwcj-q835 / CVE-2026-41178: the raw-length check stays at its boundary', () => {
    const at = `k=${'v'.repeat(8190)}`
    assert.equal(toCarrier({ baggage: at }).baggage, at)
    assert.equal(toCarrier({ baggage: `${at}v` }).baggage, undefined)
  })

  it('GHSA-g94r-2vxg-569j / CVE-2026-40894: delimiter-heavy baggage, B3 and uber-trace-id reach no tracer oversized', async () => {
    const heavy = (size: number) => ({
      baggage: ','.repeat(size),
      b3: '-'.repeat(size),
      'uber-trace-id': ':'.repeat(size),
    })
    assert.deepEqual(toCarrier(heavy(9000)), {})
    // Under the cap, the tracer parses them and the request goes on (Node caps a head at 16 KB).
    const tracer = new CapturingTracer()
    assert.equal((await trace(heavy(4000), { tracer })).status, 200)
    assert.equal(tracer.carriers[0]?.b3?.length, 4000)
  })

  it('GHSA-38wr-vpc7-2mp4 / CVE-2026-50273: vendor baggage headers are capped at 64 on extract', () => {
    const headers = Object.fromEntries(
      Array.from({ length: 100 }, (_, i) => [`uberctx-k${i}`, 'v']),
    )
    const carrier = toCarrier({ ...headers, 'ot-baggage-x': 'v' })
    assert.equal(Object.keys(carrier).length, 64)
  })

  it('DataDog/dd-trace-js#7507: one request’s baggage never survives into the next', async () => {
    const tracer = new RecordingTracer()
    server = await startExpress({ tracer })
    const caller = makeTraceparent()
    await send(`${server.url}/users/1`, {
      headers: { traceparent: caller.header, baggage: 'tenant=a' },
    })
    await send(`${server.url}/users/2`)
    const [first, second] = await finishedSpans(tracer, 2)
    assert.equal(first?.getBaggageItem('tenant'), 'a')
    assert.deepEqual([...(second?.baggage ?? new Map())], [])
  })

  it('GHSA-8785-wc3w-h8q6 / CVE-2025-27513, DEBIAN-CVE-2026-114603: a whitespace-heavy tracestate is bounded before any tracer parses it', async () => {
    const tracer = new CapturingTracer()
    const traceparent = makeTraceparent()
    const headers = { traceparent: traceparent.header, tracestate: `a=1${' \t'.repeat(6000)},b=2` }
    const { status, span } = await trace(headers, { tracer })
    assert.equal(status, 200)
    assert.equal(span.traceId, traceparent.traceId, 'the valid traceparent still counts')
    assert.equal(tracer.carriers[0]?.tracestate, undefined)
  })

  it('nodejs/node#62900, auth0/express-jwt#187: null-prototype headers reach jaeger-client as a plain object', () => {
    const headers = Object.assign(Object.create(null) as Record<string, string>, {
      'uber-trace-id': VALID_UBER,
    })
    const handle = createServerTracing('test', { tracer: jaegerTracer() }).start({
      method: 'GET',
      url: '/x',
      headers,
    })
    assert.equal(handle?.span.context().toTraceId(), '4bf92f3577b34da6')
    handle?.finish({ statusCode: 200 })
  })

  it('nodejs/node#61049: headers named __proto__, constructor or prototype leave Object.prototype untouched', () => {
    const hostile = JSON.parse(
      '{"__proto__": {"polluted": "yes"}, "constructor": "x", "prototype": "y", "traceparent": "t"}',
    ) as Record<string, string>
    const carrier = toCarrier(hostile)
    assert.deepEqual(Object.keys(carrier), ['traceparent'])
    assert.equal(Object.getPrototypeOf(carrier), Object.prototype)
    assert.equal(({} as Record<string, unknown>).polluted, undefined)
  })

  it('opentracing Tracer.startSpan mutates its options: every span gets options of its own', async () => {
    // A tracer that spoils the options it is given, as opentracing's own startSpan does.
    class MutatingTracer extends RecordingTracer {
      readonly given: SpanOptions[] = []
      protected override _startSpan(name: string, fields: SpanOptions) {
        const span = super._startSpan(name, fields)
        this.given.push(fields)
        delete fields.childOf
        fields.tags = { spoiled: true }
        return span
      }
    }
    const tracer = new MutatingTracer()
    server = await startExpress({ tracer })
    const callers = [makeTraceparent(), makeTraceparent()]
    for (const caller of callers) {
      await send(`${server.url}/users/1`, { headers: { traceparent: caller.header } })
    }
    const spans = await finishedSpans(tracer, 2)
    assert.deepEqual(
      spans.map((span) => span.parentId),
      callers.map(({ spanId }) => spanId),
    )
    assert.equal(spans[1]?.tags.spoiled, undefined)
    assert.notEqual(tracer.given[0], tracer.given[1])
  })
})

describe('regressions: names, redaction and trust', () => {
  it('CVE-2023-45142 / GHSA-rcjv-mgp8-qvmr, GHSA-5rv5-6h4r-h22v: an unknown method is recorded as _OTHER', async () => {
    const tracer = new RecordingTracer()
    server = await startExpress({ tracer })
    await send(`${server.url}/users/1`, { method: 'PROPFIND' })
    const [span] = await finishedSpans(tracer)
    assert.equal(span?.tags['http.method'], '_OTHER')
    assert.equal(span?.operationName, 'HTTP')
  })

  it('CVE-2023-25151 / GHSA-5r5m-65gx-7vrh: the query string never enters a span name', async () => {
    const { span } = await trace({}, { tracer: new RecordingTracer() }, '/users/1?q=secret-ish')
    assert.equal(span.operationName, 'GET /users/:id')
  })

  it('opentelemetry-js#5741: signature query values are redacted and their keys kept', () => {
    const url = redactUrl(
      'https://u:p@bucket.example/o?AWSAccessKeyId=AKIA1&Signature=s1&sig=s2&X-Goog-Signature=s3&ok=1',
    )
    for (const secret of ['u:p', 'AKIA1', 's1', 's2', 's3']) assert.ok(!url.includes(secret), url)
    for (const key of ['AWSAccessKeyId=', 'Signature=', 'sig=', 'X-Goog-Signature=', 'ok=1']) {
      assert.ok(url.includes(key), url)
    }
  })

  it('microsoft/ApplicationInsights-JS#1569: Authorization and Cookie reach neither the tracer nor a tag', async () => {
    const tracer = new CapturingTracer()
    const { span } = await trace(
      { authorization: 'Bearer CANARY-1', cookie: 'sid=CANARY-2' },
      { tracer },
    )
    const seen = JSON.stringify([tracer.carriers, span.tags, span.logs, span.operationName])
    assert.ok(!seen.includes('CANARY'), seen)
  })

  it('opentelemetry-js#6901, cloud-trace-nodejs#900: with trustIncoming false a caller cannot choose the trace id', async () => {
    const caller = makeTraceparent()
    const tracer = new RecordingTracer()
    const { span } = await trace({ traceparent: caller.header }, { tracer, trustIncoming: false })
    assert.notEqual(span.traceId, caller.traceId)
    assert.equal(span.parentId, undefined)
  })

  it('jaeger-debug-id (jaeger-client text_map_codec): an untrusted caller cannot force debug sampling', () => {
    const start = (trustIncoming: boolean) => {
      const handle = createServerTracing('test', { tracer: jaegerTracer(), trustIncoming }).start({
        method: 'GET',
        url: '/x',
        headers: { 'jaeger-debug-id': 'forced' },
      })
      handle?.finish({ statusCode: 200 })
      return (handle?.span.context() as unknown as { isDebug(): boolean }).isDebug()
    }
    assert.equal(start(false), false)
    // jaeger-client alone would force debug sampling here; core also sets aside a context that
    // has no trace id, so a debug-id-only header starts a plain root span even when trusted.
    assert.equal(start(true), false)
  })
})
