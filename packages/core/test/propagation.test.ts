// The `propagate` option: which calls carry trace headers. Outside a page (Node) the default is
// every call; in a page (a browser build) it is the page's own origin, and targets add to it.
import assert from 'node:assert/strict'
import { describe, it } from 'node:test'
import { RecordingTracer } from '@tracehop/testing'
import { ClientTracing } from '../src/client.js'
import { withSpan } from '../src/context.js'
import { Guard } from '../src/guard.js'
import type { Page } from '../src/page.js'
import { propagationRule } from '../src/propagation.js'
import type { PropagateOption } from '../src/types.js'

const PAGE_ORIGIN = 'https://app.example.com'
const SAME_ORIGIN = 'https://app.example.com/api/items?id=1'
const API = 'https://api.example.com:8443/v1'
const THIRD_PARTY = 'https://cdn.other.net/lib.js'
const URLS = [SAME_ORIGIN, API, THIRD_PARTY]

interface Reported {
  where: string
  error: unknown
}

function ruleFor(option: PropagateOption | undefined, pageOrigin?: string) {
  const reported: Reported[] = []
  const guard = new Guard((error, where) => reported.push({ where, error }))
  const rule = propagationRule(option, guard, pageOrigin)
  return { propagated: URLS.filter((url) => rule(url)), reported }
}

describe('propagate: the policy', () => {
  it('should propagate everywhere by default outside a page, and with true', () => {
    assert.deepEqual(ruleFor(undefined).propagated, URLS)
    assert.deepEqual(ruleFor(true).propagated, URLS)
    assert.deepEqual(ruleFor(true, PAGE_ORIGIN).propagated, URLS)
  })

  it('should propagate nowhere with false, in a page too', () => {
    assert.deepEqual(ruleFor(false).propagated, [])
    assert.deepEqual(ruleFor(false, PAGE_ORIGIN).propagated, [])
  })

  it("should propagate to the page's own origin only by default in a page", () => {
    assert.deepEqual(ruleFor(undefined, PAGE_ORIGIN).propagated, [SAME_ORIGIN])
    assert.deepEqual(ruleFor([], PAGE_ORIGIN).propagated, [SAME_ORIGIN])
  })

  it("should add listed origins to the page's own, compared as origins", () => {
    // Case, a trailing slash and a default port do not make another origin.
    const listed = ruleFor(['HTTPS://API.example.com:8443/'], PAGE_ORIGIN)
    assert.deepEqual(listed.propagated, [SAME_ORIGIN, API])
    assert.deepEqual(ruleFor('https://cdn.other.net:443').propagated, [THIRD_PARTY])
    // Another port or scheme is another origin.
    assert.deepEqual(ruleFor(['https://api.example.com', 'http://cdn.other.net']).propagated, [])
  })

  it("should test RegExps against the request URL's origin, not its path", () => {
    assert.deepEqual(ruleFor(/\.example\.com(:\d+)?$/).propagated, [SAME_ORIGIN, API])
    assert.deepEqual(ruleFor(/\/api\//).propagated, [], 'the path is not part of the origin')
    const sticky = /^https:\/\/cdn\./g
    const { propagated } = ruleFor([sticky, sticky])
    assert.deepEqual(propagated, [THIRD_PARTY], 'a global RegExp keeps no state between calls')
  })

  it('should give predicates the full URL, and mix every kind of target in a list', () => {
    const seen: string[] = []
    const predicate = (url: string) => {
      seen.push(url)
      return url.endsWith('.js')
    }
    const mixed = ruleFor([predicate, 'https://api.example.com:8443', /^$/])
    assert.deepEqual(mixed.propagated, [API, THIRD_PARTY])
    assert.deepEqual(seen, [SAME_ORIGIN, THIRD_PARTY], 'asked only when no origin matched')
    assert.deepEqual(ruleFor(predicate, PAGE_ORIGIN).propagated, [SAME_ORIGIN, THIRD_PARTY])
  })

  it('should report a target that is no origin through onError, and match nothing with it', () => {
    const bad = [
      'api.example.com',
      'https://api.example.com/v1',
      'https://u:p@api.example.com',
      'https://*.example.com',
    ]
    const { propagated, reported } = ruleFor([...bad, 'not a url', 'https://cdn.other.net'])
    assert.deepEqual(propagated, [THIRD_PARTY], 'the valid targets still apply')
    assert.equal(reported.length, 1, 'reported once per call site and window')
    assert.equal(reported[0]?.where, 'propagate target')
    assert.match(String(reported[0]?.error), /"api\.example\.com" is no target/)
    const wildcard = ruleFor(['https://*.example.com'], PAGE_ORIGIN)
    assert.deepEqual(wildcard.propagated, [SAME_ORIGIN])
    assert.match(String(wildcard.reported[0]?.error), /"https:\/\/\*\.example\.com" is no target/)
    const typeErrors = ruleFor([42, null] as unknown as PropagateOption, PAGE_ORIGIN)
    assert.deepEqual(typeErrors.propagated, [SAME_ORIGIN])
    assert.match(String(typeErrors.reported[0]?.error), /a value of type number is no target/)
  })

  it('should report a predicate that throws, and not propagate', () => {
    const { propagated, reported } = ruleFor((url) => {
      if (url.includes('api.example')) throw new Error('broken predicate')
      return true
    })
    assert.deepEqual(propagated, [SAME_ORIGIN, THIRD_PARTY])
    assert.deepEqual(
      reported.map(({ where, error }) => [where, (error as Error).message]),
      [['propagate', 'broken predicate']],
    )
  })

  it('should propagate to no origin from a page whose own origin is opaque', () => {
    assert.deepEqual(ruleFor(undefined, 'null').propagated, [])
    assert.deepEqual(ruleFor('https://api.example.com:8443', 'null').propagated, [API])
  })
})

describe('propagate: the client lifecycle', () => {
  const page: Page = {
    origin: PAGE_ORIGIN,
    absolute: (url) => new URL(url, `${PAGE_ORIGIN}/shop/cart`).href,
  }

  function callsFrom(options: ConstructorParameters<typeof ClientTracing>[1], urls: string[]) {
    const tracer = new RecordingTracer()
    const client = new ClientTracing('test-client', { tracer, ...options }, page)
    const parent = tracer.startSpan('page')
    parent.setBaggageItem('tenant', 'acme')
    const calls = withSpan(parent, () => urls.map((url) => client.start({ method: 'GET', url })))
    for (const call of calls) call?.finish({ statusCode: 200 })
    parent.finish()
    return { tracer, headers: calls.map((call) => call?.headers) }
  }

  it('should send no trace header at all where it does not propagate, yet record the span', () => {
    const { tracer, headers } = callsFrom({}, ['/api/items', THIRD_PARTY])
    assert.ok(headers[0]?.traceparent, 'a same-origin call carries traceparent')
    assert.equal(headers[0]?.baggage, 'tenant=acme')
    assert.deepEqual(headers[1], {}, 'a cross-origin call carries nothing')
    const spans = tracer.finishedSpans().filter((span) => span.tags['span.kind'] === 'client')
    assert.deepEqual(
      spans.map((span) => span.tags['http.url']),
      [`${PAGE_ORIGIN}/api/items`, THIRD_PARTY],
    )
  })

  it('should resolve relative URLs against the page before testing their origin', () => {
    const { tracer, headers } = callsFrom({ propagate: 'https://api.example.com:8443' }, [
      '../api/x?token=secret',
      API,
      '//cdn.other.net/x',
    ])
    assert.deepEqual(
      headers.map((sent) => sent?.traceparent !== undefined),
      [true, true, false],
    )
    const client = tracer.finishedSpans().find((span) => span.tags['span.kind'] === 'client')
    assert.equal(client?.tags['http.url'], `${PAGE_ORIGIN}/api/x?token=REDACTED`)
    assert.equal(client?.operationName, 'GET app.example.com:443')
  })

  it('should not break the call when a target is invalid or a predicate throws', () => {
    const reported: string[] = []
    const onError = (_error: unknown, where: string) => reported.push(where)
    const throwing = () => {
      throw new Error('broken')
    }
    const { tracer, headers } = callsFrom({ propagate: ['::bad::', throwing], onError }, [
      API,
      '/same-origin',
    ])
    assert.deepEqual(headers[0], {})
    assert.ok(headers[1]?.traceparent)
    assert.deepEqual(reported, ['propagate target', 'propagate'], 'each in a window of its own')
    assert.equal(tracer.finishedSpans().length, 3)
  })
})
