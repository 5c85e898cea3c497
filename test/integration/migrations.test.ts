// The runnable side of each migration guide (docs/guides, examples/migrations), over real
// sockets: the names, tags and kinds the guides promise, and the headers the next hop received.
// The suites run in this order: the OTel ones register OTel's globals, which the last one removes.
import assert from 'node:assert/strict'
import { readFileSync } from 'node:fs'
import { after, before, describe, it } from 'node:test'
import { context, propagation, trace } from '@opentelemetry/api'
import {
  InMemorySpanExporter,
  type ReadableSpan,
  SimpleSpanProcessor,
} from '@opentelemetry/sdk-trace-base'
import { createUsersApp } from '@tracehop/example-migrations/from-express-opentracing'
import { createFrontendApp, setUpZipkin } from '@tracehop/example-migrations/from-zipkin'
import { createOrdersApp, setUpTracing } from '@tracehop/example-migrations/opentelemetry'
import { parseTraceParent } from '@tracehop/testing'
import { tsSnippets } from '../support/doc-snippets.js'
import { startEchoServer, type Echo } from '../support/echo-server.js'
import {
  bodiesAt,
  finishedSpans,
  listen,
  makeTraceparent,
  send,
  startCollector,
  waitFor,
} from '../support/net.js'
import { useRecordingTracer } from '../support/recording-tracer.js'

describe('each guide', () => {
  it('should show its example as it is run here, but for the leading comment', () => {
    for (const guide of ['from-express-opentracing', 'from-zipkin', 'opentelemetry']) {
      const read = (path: string) => readFileSync(new URL(`../../${path}`, import.meta.url), 'utf8')
      const example = read(`examples/migrations/src/${guide}.ts`).replace(/^(\/\/.*\n)+/, '')
      const shown = tsSnippets(guide, read(`docs/guides/${guide}.md`)).map(({ code }) => code)
      assert.ok(shown.includes(example), `docs/guides/${guide}.md shows its example in full`)
    }
  })
})

describe('from express-opentracing', () => {
  const recording = useRecordingTracer()
  let profiles: Awaited<ReturnType<typeof startEchoServer>>
  before(async () => {
    profiles = await startEchoServer()
  })
  after(() => profiles.close())

  it('should name the span by method and full route template, its axios call a child', async () => {
    recording.server = await listen(createUsersApp(profiles.url, recording.tracer))
    const caller = makeTraceparent()
    const response = await send(`${recording.server.url}/v1/users/42?fields=all`, {
      headers: { traceparent: caller.header },
    })
    assert.equal(response.status, 200)
    assert.equal(response.headers['x-trace-id'], caller.traceId)
    const spans = await finishedSpans(recording.tracer, 2)
    const server = spans.find((span) => span.tags['span.kind'] === 'server')!
    const client = spans.find((span) => span.tags['span.kind'] === 'client')!
    // express-opentracing would have named it '/users/:id' (the last router's path alone).
    assert.equal(server.operationName, 'GET /v1/users/:id')
    assert.equal(server.tags['http.route'], '/v1/users/:id')
    assert.equal(server.tags['user.id'], '42')
    assert.equal(server.parentId, caller.spanId)
    assert.equal(client.parentId, server.spanId)
    assert.equal(client.tags.component, 'axios')
    const sent = (JSON.parse(response.body) as Echo).headers
    assert.equal(sent.traceparent, `00-${caller.traceId}-${client.spanId}-01`)
  })

  it('should log the error of a failed call on the span', async () => {
    recording.server = await listen(createUsersApp(`${profiles.url}/status/503`, recording.tracer))
    const response = await send(`${recording.server.url}/v1/users/7`)
    assert.equal(response.status, 502)
    const spans = await finishedSpans(recording.tracer, 2)
    const server = spans.find((span) => span.tags['span.kind'] === 'server')!
    assert.equal(server.tags.error, true)
    const logs = server.logs.filter((log) => log.fields.event === 'error')
    assert.equal(logs.length, 1)
    assert.equal(logs[0]!.fields.message, 'Request failed with status code 503')
  })
})

const byName = (spans: readonly ReadableSpan[], name: string): ReadableSpan => {
  const span = spans.find((candidate) => candidate.name === name)
  assert.ok(span, `a span named ${name} in ${spans.map((other) => other.name).join(', ')}`)
  return span
}

describe('the OpenTelemetry SDK path', () => {
  const exporter = new InMemorySpanExporter()
  let shutdown: () => Promise<void>
  before(() => {
    shutdown = setUpTracing('orders', new SimpleSpanProcessor(exporter))
  })
  after(async () => {
    await shutdown()
    trace.disable()
    context.disable()
    propagation.disable()
  })

  it('should give SERVER and CLIENT kinds, stable attributes and one tree with OTel spans', async () => {
    const stock = await startEchoServer()
    const orders = await listen(createOrdersApp(stock.url))
    try {
      const caller = makeTraceparent()
      const response = await send(`${orders.url}/orders/9`, {
        headers: { traceparent: caller.header },
      })
      assert.equal(response.status, 200)
      await waitFor(() => exporter.getFinishedSpans().length === 3, '3 OTel spans')
      const spans = exporter.getFinishedSpans()
      const server = byName(spans, 'GET /orders/:id')
      const reserve = byName(spans, 'reserve stock')
      const client = spans.find((span) => span !== server && span !== reserve)!
      assert.equal(server.kind, 1) // SpanKind.SERVER
      assert.equal(client.kind, 2) // SpanKind.CLIENT
      assert.equal(server.attributes['http.request.method'], 'GET')
      assert.equal(server.attributes['http.route'], '/orders/:id')
      assert.equal(server.attributes['http.response.status_code'], 200)
      assert.equal(server.attributes['http.method'], undefined)
      assert.equal(server.spanContext().traceId, caller.traceId)
      assert.equal(server.parentSpanContext?.spanId, caller.spanId)
      assert.equal(reserve.parentSpanContext?.spanId, server.spanContext().spanId)
      assert.equal(client.parentSpanContext?.spanId, reserve.spanContext().spanId)
      assert.equal(client.attributes['url.full'], `${stock.url}/stock/9`)
      const sent = parseTraceParent(String(stock.received[0]?.headers.traceparent))
      assert.equal(sent?.spanId, client.spanContext().spanId)
    } finally {
      await orders.close()
      await stock.close()
    }
  })

  it("should pass the caller's baggage on, as NodeTracerProvider.register() would", async () => {
    exporter.reset()
    const stock = await startEchoServer()
    const orders = await listen(createOrdersApp(stock.url))
    try {
      const caller = makeTraceparent()
      const response = await send(`${orders.url}/orders/3`, {
        headers: { traceparent: caller.header, baggage: 'tenant=acme' },
      })
      assert.equal(response.status, 200)
      assert.equal(stock.received[0]?.headers.baggage, 'tenant=acme')
    } finally {
      await orders.close()
      await stock.close()
    }
  })

  it('should end the OTel span of a failed call, with status ERROR and the exception', async () => {
    exporter.reset()
    // A port nothing listens on: the fetch fails.
    const closed = await listen((_req, res) => res.end())
    await closed.close()
    const orders = await listen(createOrdersApp(closed.url))
    try {
      const response = await send(`${orders.url}/orders/4`)
      assert.equal(response.status, 500)
      await waitFor(() => exporter.getFinishedSpans().length === 3, '3 OTel spans')
      const reserve = byName(exporter.getFinishedSpans(), 'reserve stock')
      assert.equal(reserve.status.code, 2) // SpanStatusCode.ERROR
      assert.equal(reserve.events.filter((event) => event.name === 'exception').length, 1)
    } finally {
      await orders.close()
    }
  })
})

interface ZipkinSpan {
  traceId: string
  id: string
  parentId?: string
  name: string
  kind?: string
  tags?: Record<string, string>
}

describe('from zipkin-js', () => {
  it('should continue a zipkin-js caller over B3, call on in B3 and report Zipkin v2 JSON', async () => {
    const zipkin = await startCollector()
    const backend = await startEchoServer()
    const provider = setUpZipkin('frontend', `${zipkin.url}/api/v2/spans`)
    const frontend = await listen(createFrontendApp(backend.url))
    try {
      // What zipkin-instrumentation-axiosjs sends: 64-bit ids by default.
      const response = await send(`${frontend.url}/users/5`, {
        headers: {
          'x-b3-traceid': '463ac35c9f6413ad',
          'x-b3-spanid': 'a2fb4a1d1a96d312',
          'x-b3-sampled': '1',
        },
      })
      assert.equal(response.status, 200)
      await provider.forceFlush()
      const spans = bodiesAt(zipkin.requests, '/api/v2/spans').flatMap(
        (body) => JSON.parse(body) as ZipkinSpan[],
      )
      assert.equal(spans.length, 2)
      const server = spans.find((span) => span.kind === 'SERVER')!
      const client = spans.find((span) => span.kind === 'CLIENT')!
      assert.equal(server.name, 'GET /users/:id')
      assert.equal(server.traceId, '0000000000000000463ac35c9f6413ad')
      assert.equal(server.parentId, 'a2fb4a1d1a96d312')
      assert.equal(server.tags?.['http.route'], '/users/:id')
      assert.equal(client.parentId, server.id)
      const sent = backend.received[0]!.headers
      assert.equal(sent['x-b3-traceid'], '0000000000000000463ac35c9f6413ad')
      assert.equal(sent['x-b3-spanid'], client.id)
      assert.equal(sent['x-b3-sampled'], '1')
      assert.equal(sent.traceparent, `00-0000000000000000463ac35c9f6413ad-${client.id}-01`)
    } finally {
      await frontend.close()
      await provider.shutdown()
      await backend.close()
      await zipkin.close()
      trace.disable()
      context.disable()
      propagation.disable()
    }
  })
})
