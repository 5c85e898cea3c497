// What the bridge makes of requests and tags off the common path: absolute-form targets without a
// path, empty numbers, errors that are not Error objects, an error logged before it fails a span.
import assert from 'node:assert/strict'
import { beforeEach, describe, it } from 'node:test'
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
})
