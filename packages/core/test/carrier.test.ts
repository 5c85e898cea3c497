import assert from 'node:assert/strict'
import { describe, it } from 'node:test'
import { CARRIER_LIMITS, toCarrier } from '../src/carrier.js'

describe('toCarrier', () => {
  it('should copy into a fresh plain object with lower-case names and string values', () => {
    const headers = { TraceParent: 'tp', 'X-Count': 3, 'x-list': ['a', 'b'], empty: undefined }
    const carrier = toCarrier(headers)
    assert.deepEqual(carrier, { traceparent: 'tp', 'x-count': '3', 'x-list': 'a, b' })
    assert.notEqual(carrier, headers)
    assert.equal(Object.getPrototypeOf(carrier), Object.prototype)
    assert.equal(typeof carrier.hasOwnProperty, 'function')
  })

  it('should join values whose names differ only in case', () => {
    assert.deepEqual(toCarrier({ Baggage: 'a=1', baggage: 'b=2' }), { baggage: 'a=1, b=2' })
  })

  it('should accept Headers, Maps, pairs and null-prototype objects', () => {
    const expected = { traceparent: 'tp', baggage: 'k=v' }
    assert.deepEqual(toCarrier(new Headers({ TraceParent: 'tp', baggage: 'k=v' })), expected)
    assert.deepEqual(
      toCarrier(
        new Map([
          ['traceparent', 'tp'],
          ['baggage', 'k=v'],
        ]),
      ),
      expected,
    )
    assert.deepEqual(
      toCarrier([
        ['TRACEPARENT', 'tp'],
        ['baggage', 'k=v'],
      ]),
      expected,
    )
    const bare = Object.assign(Object.create(null) as Record<string, string>, expected)
    assert.deepEqual(toCarrier(bare), expected)
  })

  it('should leave prototype names harmless and Object.prototype untouched', () => {
    const hostile = JSON.parse(
      '{"__proto__": {"polluted": "yes"}, "constructor": "x", "prototype": "y", "ok": "1"}',
    ) as Record<string, unknown>
    const carrier = toCarrier(hostile as Record<string, string>)
    assert.deepEqual(Object.keys(carrier), ['ok'])
    assert.equal(({} as Record<string, unknown>).polluted, undefined)
    assert.equal(Object.getPrototypeOf(carrier), Object.prototype)
  })

  it('should never hand credentials to a tracer', () => {
    const carrier = toCarrier({
      Authorization: 'Bearer secret',
      cookie: 'sid=secret',
      'proxy-authorization': 'x',
      'set-cookie': ['a'],
      traceparent: 'tp',
    })
    assert.deepEqual(carrier, { traceparent: 'tp' })
  })

  it('should leave out standard HTTP headers, which no propagation format uses', () => {
    const carrier = toCarrier({
      host: 'api:3000',
      'user-agent': 'curl/8',
      Accept: '*/*',
      'accept-encoding': 'gzip',
      'content-type': 'application/json',
      'x-forwarded-for': '10.0.0.1',
      traceparent: 'tp',
      'x-b3-traceid': 'abc',
      'x-request-id': 'r1',
    })
    assert.deepEqual(carrier, {
      traceparent: 'tp',
      'x-b3-traceid': '0000000000000abc',
      'x-request-id': 'r1',
    })
  })

  it('should drop oversized values and stop at the size limits', () => {
    const big = 'x'.repeat(CARRIER_LIMITS.valueLength + 1)
    assert.deepEqual(toCarrier({ traceparent: big, ok: 'y' }), { ok: 'y' })
    const many = Object.fromEntries(Array.from({ length: 500 }, (_, i) => [`h${i}`, 'v']))
    assert.equal(Object.keys(toCarrier(many)).length, CARRIER_LIMITS.headerCount)
    const baggage = Object.fromEntries(
      Array.from({ length: 100 }, (_, i) => [`uberctx-k${i}`, 'v']),
    )
    assert.equal(Object.keys(toCarrier(baggage)).length, CARRIER_LIMITS.baggageHeaders)
    const total = Object.fromEntries(
      Array.from({ length: 20 }, (_, i) => [`h${i}`, 'v'.repeat(4000)]),
    )
    const kept = Object.values(toCarrier(total)).join('').length
    assert.ok(kept <= CARRIER_LIMITS.totalLength, `${kept} characters kept`)
  })

  it('should keep the trace context past the limits that other headers filled', () => {
    const traceparent = '00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01'
    const others = Array.from({ length: 200 }, (_, i): [string, string] => [`x-h${i}`, 'v'])
    const crowded = toCarrier({ ...Object.fromEntries(others), traceparent, 'uberctx-k': 'v' })
    assert.equal(crowded.traceparent, traceparent)
    assert.equal(crowded['uberctx-k'], undefined, 'baggage keeps the limits')
    const large = Array.from({ length: 10 }, (_, i): [string, string] => [
      `x-big${i}`,
      'v'.repeat(4000),
    ])
    const traceId = '4bf92f3577b34da6a3ce929d0e0e4736'
    const carrier = toCarrier({ ...Object.fromEntries(large), 'X-B3-TraceId': traceId })
    assert.equal(carrier['x-b3-traceid'], traceId)
  })

  it('should give an empty carrier for null, undefined and junk', () => {
    assert.deepEqual(toCarrier(null), {})
    assert.deepEqual(toCarrier(undefined), {})
    assert.deepEqual(toCarrier('junk' as never), {})
    assert.deepEqual(toCarrier({ a: { nested: true } } as never), {})
  })

  it('should stay linear on a hostile 16 KiB header', () => {
    const time = (size: number) => {
      const headers = { baggage: ','.repeat(size), 'x-b3-traceid': ' \t'.repeat(size / 2) }
      const start = process.hrtime.bigint()
      for (let i = 0; i < 200; i++) toCarrier(headers)
      return Number(process.hrtime.bigint() - start)
    }
    time(16_384)
    const small = Math.min(time(8192), time(8192))
    const large = Math.min(time(16_384), time(16_384))
    assert.ok(large < small * 2.5 + 1_000_000, `8 KiB ${small} ns, 16 KiB ${large} ns`)
  })
})

describe('B3 ids', () => {
  it('should restore the leading zeros jaeger-client strips, and leave anything else alone', () => {
    assert.deepEqual(
      toCarrier({
        'X-B3-TraceId': 'af7651916cd43dd8448eb211c80319c',
        'x-b3-spanid': 'baf8c584aa531ca',
        'x-b3-parentspanid': '1',
        'x-b3-sampled': '1',
        'uber-trace-id': 'baf8c584aa531ca:1:0:1',
      }),
      {
        'x-b3-traceid': '0af7651916cd43dd8448eb211c80319c',
        'x-b3-spanid': '0baf8c584aa531ca',
        'x-b3-parentspanid': '0000000000000001',
        'x-b3-sampled': '1',
        'uber-trace-id': 'baf8c584aa531ca:1:0:1',
      },
    )
    assert.equal(toCarrier({ 'x-b3-spanid': 'not-hex' })['x-b3-spanid'], 'not-hex')
    assert.equal(toCarrier({ 'x-b3-traceid': 'abc' })['x-b3-traceid'], '0000000000000abc')
  })
})

describe('a repeated traceparent', () => {
  it('should be dropped, as W3C Trace Context restarts the trace then', () => {
    const one = '00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01'
    assert.deepEqual(toCarrier({ traceparent: `${one}, ${one}`, tracestate: 'a=1, b=2' }), {
      tracestate: 'a=1, b=2',
    })
    assert.deepEqual(
      toCarrier([
        ['traceparent', one],
        ['TraceParent', one],
      ]),
      {},
    )
    assert.deepEqual(toCarrier({ traceparent: one }), { traceparent: one })
  })
})
