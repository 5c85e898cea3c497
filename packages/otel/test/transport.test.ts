// Calls over undici (fetch) beside listeners on undici's request channel: tracehop leaves them to
// whatever listens there (OTel's instrumentation-undici, an APM agent that injects its own
// headers), so that no call carries two traceparent headers, and names a listener it does not
// know in a warning.
import assert from 'node:assert/strict'
import { subscribe, unsubscribe } from 'node:diagnostics_channel'
import { once } from 'node:events'
import http from 'node:http'
import type { AddressInfo } from 'node:net'
import { after, before, beforeEach, describe, it } from 'node:test'
import { SpanKind, trace } from '@opentelemetry/api'
import { UndiciInstrumentation } from '@opentelemetry/instrumentation-undici'
import { createClientTracing } from '@tracehop/core/adapter'
import { createOtelTracer } from '../src/index.js'
import { sdk } from '../../../test/support/otel-sdk.js'

const tracer = createOtelTracer()
const client = createClientTracing('test', { tracer })
const otelTracer = trace.getTracer('app')
const REQUEST_CREATED = 'undici:request:create'

// The traceparent headers each request the downstream served came with.
const received: string[][] = []
const downstream = http.createServer((request, response) => {
  received.push(request.headersDistinct.traceparent ?? [])
  response.end()
})
let url = ''

// A fetch as tracedFetch makes it, inside an OTel span: with the headers tracehop injected, if any.
async function fetchInJob(): Promise<void> {
  await otelTracer.startActiveSpan('job', async (job) => {
    const call = client.start({ method: 'GET', url, transport: 'undici' })
    const response = await fetch(url, { headers: call?.headers ?? {} })
    await response.text()
    call?.finish({ statusCode: response.status })
    job.end()
  })
}

// Who sent the one traceparent the last request came with.
function sender(): { scope: string; kind: SpanKind } {
  const traceparents = received.at(-1)
  assert.equal(traceparents?.length, 1, `one traceparent: ${traceparents?.join(' | ')}`)
  const spanId = traceparents[0]?.split('-')[2]
  const span = sdk.spans().find((each) => each.spanContext().spanId === spanId)
  assert.ok(span, 'a span of this process sent it')
  return { scope: span.instrumentationScope.name, kind: span.kind }
}

// What a metrics or logging library listening on undici's request channel does: nothing to it.
const countRequests = (): void => {}

describe('calls over undici beside listeners on its request channel', () => {
  before(async () => {
    downstream.listen(0, '127.0.0.1')
    await once(downstream, 'listening')
    url = `http://127.0.0.1:${(downstream.address() as AddressInfo).port}/`
  })
  after(() => downstream.close())
  beforeEach(() => {
    sdk.reset()
    subscribe(REQUEST_CREATED, countRequests)
  })

  it('should leave the call to a listener it does not know, and name it in a warning', async () => {
    const warnings: Error[] = []
    const onWarning = (warning: Error) => warnings.push(warning)
    process.on('warning', onWarning)
    try {
      await fetchInJob()
      await fetchInJob()
      await new Promise((resolve) => setImmediate(resolve))
    } finally {
      process.off('warning', onWarning)
      unsubscribe(REQUEST_CREATED, countRequests)
    }
    assert.deepEqual(received.slice(-2), [[], []], 'no traceparent from tracehop')
    assert.equal(sdk.spans().filter((span) => span.kind === SpanKind.CLIENT).length, 0)
    const told = warnings.filter(
      (warning) => (warning as { code?: unknown }).code === 'TRACEHOP_UNDICI_LISTENER',
    )
    assert.equal(told.length, 1, warnings.map(String).join(' | '))
    assert.match(told[0]?.message ?? '', /countRequests/)
  })

  it('should leave the call to instrumentation-undici, listening after another', async () => {
    const instrumentation = new UndiciInstrumentation()
    try {
      await fetchInJob()
    } finally {
      instrumentation.disable()
      unsubscribe(REQUEST_CREATED, countRequests)
    }
    assert.deepEqual(sender(), {
      scope: '@opentelemetry/instrumentation-undici',
      kind: SpanKind.CLIENT,
    })
    assert.equal(
      sdk.spans().filter((span) => span.instrumentationScope.name.startsWith('@tracehop/')).length,
      0,
      'tracehop made no second client span',
    )
  })
})
