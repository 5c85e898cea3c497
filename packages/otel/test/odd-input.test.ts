// What the bridge makes of requests and tags off the common path: absolute-form targets without a
// path or in odd spellings, empty numbers, errors that are not Error objects, an error logged
// before it fails a span (or before a failure by status alone), a method tagged in lower case, a
// span renamed after it finished.
import assert from 'node:assert/strict'
import { beforeEach, describe, it } from 'node:test'
import { diag, DiagLogLevel, SpanStatusCode } from '@opentelemetry/api'
import { createServerTracing } from '@tracehop/core/adapter'
import { createOtelTracer } from '../src/index.js'
import { sdk } from '../../../test/support/otel-sdk.js'

const tracer = createOtelTracer()
const server = createServerTracing('express', { tracer })

const request = { method: 'GET', url: '/', headers: {}, remoteAddress: '10.1.2.3' }

describe('odd input on the OTel SDK', () => {
  beforeEach(() => sdk.reset())

  it('should end the authority of an absolute-form target at its query when it has no path', () => {
    for (const url of ['http://shop.test?page=2', 'http://shop.test:8080?page=2']) {
      server.start({ ...request, url, host: 'shop.test' })?.finish({ statusCode: 200 })
    }
    const read = sdk
      .spans()
      .map(({ attributes }) => [
        attributes['server.address'],
        attributes['server.port'],
        attributes['url.path'],
        attributes['url.query'],
      ])
    assert.deepEqual(read, [
      ['shop.test', 80, '/', 'page=2'],
      ['shop.test', 8080, '/', 'page=2'],
    ])
  })

  it("should read an empty port as the scheme's default one", () => {
    server.start({ ...request, host: 'shop.test:', protocol: 'https' })?.finish({ statusCode: 200 })
    const { attributes } = sdk.only()
    assert.equal(attributes['server.address'], 'shop.test')
    assert.equal(attributes['server.port'], 443)
  })

  it('should write no status code or port for a tag that holds an empty string', () => {
    const span = tracer.startSpan('call', { tags: { 'span.kind': 'client' } })
    span.setTag('http.status_code', '')
    span.setTag('peer.port', ' ')
    span.finish()
    const { attributes } = sdk.only()
    assert.equal(attributes['http.response.status_code'], undefined)
    assert.equal(attributes['server.port'], undefined)
  })

  it('should record a thrown value that is no Error, logged and then failing the request, once', () => {
    const thrown = { reason: 'out of stock' }
    const handle = server.start(request)
    handle?.span.log({ event: 'error', 'error.object': thrown, message: 'out of stock' })
    handle?.recordError(thrown)
    handle?.finish({ statusCode: 500 })
    const events = sdk.only().events.filter((event) => event.name === 'exception')
    assert.equal(events.length, 1)
  })

  it("should take error.type from an error's code whether or not the app logged it first", () => {
    for (const loggedFirst of [false, true]) {
      const failure = Object.assign(new Error('invalid csrf token'), { code: 'EBADCSRFTOKEN' })
      const handle = server.start(request)
      if (loggedFirst) handle?.span.log({ event: 'error', 'error.object': failure })
      handle?.recordError(failure)
      handle?.finish({ statusCode: 500 })
    }
    const types = sdk.spans().map((span) => span.attributes['error.type'])
    assert.deepEqual(types, ['EBADCSRFTOKEN', 'EBADCSRFTOKEN'])
  })

  it('should record a thrown string or number, logged and then failing the request, once', () => {
    for (const thrown of ['out of stock', 42]) {
      const handle = server.start(request)
      handle?.span.log({ event: 'error', 'error.object': thrown, message: String(thrown) })
      handle?.recordError(thrown)
      handle?.finish({ statusCode: 500 })
    }
    const exceptions = sdk
      .spans()
      .map((span) => span.events.filter((event) => event.name === 'exception').length)
    assert.deepEqual(exceptions, [1, 1])
  })

  it('should keep each equal string an app logs before its span failed', () => {
    // Retries that each log the same message are as many errors: only the failure repeats one.
    const span = tracer.startSpan('fetch stock')
    span.log({ event: 'error', 'error.object': 'timed out' })
    span.log({ event: 'error', 'error.object': 'timed out' })
    span.finish()
    assert.equal(sdk.only().events.length, 2)
  })

  it('should say a failure by status alone by its status, not by an error logged and handled before', () => {
    for (const handled of [
      new Error('cache miss'),
      Object.assign(new Error('cache down'), { code: 'ECONNREFUSED' }),
    ]) {
      const handle = server.start(request)
      handle?.span.log({ event: 'error', 'error.object': handled, message: handled.message })
      handle?.finish({ statusCode: 503 })
    }
    for (const span of sdk.spans()) {
      assert.equal(span.status.code, SpanStatusCode.ERROR)
      assert.equal(span.status.message, undefined)
      assert.equal(span.attributes['error.type'], '503')
      assert.equal(span.events.length, 1, 'the handled error is still told')
    }
  })

  it('should keep the error.type the app tagged over a failure by status alone', () => {
    const handle = server.start(request)
    handle?.span.setTag('error.type', 'upstream_timeout')
    handle?.span.log({ event: 'error', 'error.object': new Error('cache miss') })
    handle?.finish({ statusCode: 504 })
    assert.equal(sdk.only().attributes['error.type'], 'upstream_timeout')
  })

  it('should keep the method as sent beside a known method tagged in another spelling', () => {
    for (const method of ['patch', 'PATCH']) {
      tracer.startSpan('call', { tags: { 'span.kind': 'client', 'http.method': method } }).finish()
    }
    const [lower, upper] = sdk.spans()
    assert.equal(lower?.attributes['http.request.method'], 'PATCH')
    assert.equal(lower?.attributes['http.request.method_original'], 'patch')
    assert.equal(upper?.attributes['http.request.method'], 'PATCH')
    assert.equal(upper?.attributes['http.request.method_original'], undefined)
  })

  it('should keep the name of a span renamed after it finished, with no SDK warning', () => {
    const warnings: string[] = []
    const record = (message: string) => warnings.push(message)
    const ignore = () => undefined
    diag.setLogger(
      { error: record, warn: record, info: ignore, debug: ignore, verbose: ignore },
      DiagLogLevel.WARN,
    )
    try {
      const span = tracer.startSpan('GET /orders/:id')
      span.finish()
      span.setOperationName('renamed late')
    } finally {
      diag.disable()
    }
    assert.equal(sdk.only().name, 'GET /orders/:id')
    assert.deepEqual(warnings, [])
  })

  it('should read the scheme of an absolute-form target in any case, and know ws and wss ports', () => {
    const targets = [
      'HTTP://shop.test/x',
      'HTTPS://shop.test/x',
      'ws://chat.test/live',
      'wss://chat.test/live',
    ]
    for (const url of targets) server.start({ ...request, url })?.finish({ statusCode: 200 })
    const read = sdk
      .spans()
      .map(({ attributes }) => [attributes['url.scheme'], attributes['server.port']])
    assert.deepEqual(read, [
      ['http', 80],
      ['https', 443],
      ['ws', 80],
      ['wss', 443],
    ])
  })
})
