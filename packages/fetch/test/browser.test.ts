// The browser build of tracedFetch as a page runs it: bundled as a bundler does for a browser and
// run with a page's globals (`location`, `fetch`) and none of Node's (no process, so no
// AsyncLocalStorage). The page's origin is one loopback server, another origin a second one.
import assert from 'node:assert/strict'
import { beforeEach, describe, it } from 'node:test'
import type * as Core from '@tracehop/core'
import type * as Fetch from '@tracehop/fetch'
import { parseTraceParent } from '@tracehop/testing'
import { useTestPage } from '../../../test/support/browser-bundle.js'
import type { Echo } from '../../../test/support/echo-server.js'
import { useRecordingTracer } from '../../../test/support/recording-tracer.js'

// The trace headers a request arrived with.
const traceHeaders = (echo: Echo | undefined) =>
  Object.keys(echo?.headers ?? {}).filter((name) => /traceparent|tracestate|baggage/.test(name))

interface PageExports {
  tracedFetch: typeof Fetch.tracedFetch
  startActiveSpan: typeof Core.startActiveSpan
  /** The page's own TypeError, as its fetch throws. */
  PageTypeError: TypeErrorConstructor
}

describe('tracedFetch in a page (browser build)', () => {
  const page = useTestPage<PageExports>(
    `export { tracedFetch } from '@tracehop/fetch'
export { startActiveSpan } from '@tracehop/core'
export const PageTypeError = TypeError`,
  )
  const { site, api } = page
  const recording = useRecordingTracer()

  beforeEach(() => {
    site.received.length = 0
    api.received.length = 0
  })

  it("should propagate to the page's own origin only by default, tracing every call", async () => {
    const fetch = page.exports.tracedFetch(undefined, { tracer: recording.tracer })
    await page.exports.startActiveSpan(
      'checkout',
      (checkout) => {
        checkout.setBaggageItem('tenant', 'acme')
        return Promise.all([fetch(`${site.url}/same-origin`), fetch(`${api.url}/cross-origin`)])
      },
      { tracer: recording.tracer },
    )
    assert.deepEqual(traceHeaders(site.received[0]), ['traceparent', 'baggage'])
    assert.deepEqual(traceHeaders(api.received[0]), [], 'no trace header at all')
    const clientSpans = recording.tracer
      .finishedSpans()
      .filter((span) => span.tags['span.kind'] === 'client')
    assert.deepEqual(
      clientSpans.map((span) => span.tags['http.url']).sort(),
      [`${site.url}/same-origin`, `${api.url}/cross-origin`].sort(),
    )
    const sent = parseTraceParent(String(site.received[0]?.headers.traceparent))
    const sameOrigin = clientSpans.find((span) => span.spanId === sent?.spanId)
    assert.ok(sameOrigin, 'the header carries the client span')
  })

  it('should add listed origins to the page origin, and obey true and false', async () => {
    const listed = page.exports.tracedFetch(undefined, {
      tracer: recording.tracer,
      propagate: [api.url],
    })
    await listed(`${site.url}/a`)
    await listed(`${api.url}/a`)
    const never = page.exports.tracedFetch(undefined, {
      tracer: recording.tracer,
      propagate: false,
    })
    await never(`${site.url}/b`)
    const always = page.exports.tracedFetch(undefined, {
      tracer: recording.tracer,
      propagate: true,
    })
    await always(`${api.url}/b`)
    const carried = (echoes: Echo[]) =>
      echoes.map((echo) => [echo.url, traceHeaders(echo).length > 0])
    assert.deepEqual(carried(site.received), [
      ['/a', true],
      ['/b', false],
    ])
    assert.deepEqual(carried(api.received), [
      ['/a', true],
      ['/b', true],
    ])
    assert.equal(recording.tracer.finishedSpans().length, 4)
  })

  it("should resolve any input but a Request as a string, a relative URL the page's", async () => {
    // A page's fetch resolves a relative URL against the page; Node's, which runs the page, cannot.
    // (new URL() makes a string of its input as fetch does.)
    const pageUrl = `${site.url}/shop/cart`
    const pageFetch: typeof globalThis.fetch = (input, init) =>
      globalThis.fetch(new URL(input, pageUrl), init)
    const fetch = page.exports.tracedFetch(pageFetch, { tracer: recording.tracer })
    await fetch(new String('/api/boxed') as unknown as string)
    await fetch(null as unknown as string)
    assert.deepEqual(
      site.received.map((echo) => [echo.url, traceHeaders(echo)]),
      [
        ['/api/boxed', ['traceparent']],
        ['/shop/null', ['traceparent']],
      ],
    )
    assert.deepEqual(
      recording.tracer.finishedSpans().map((span) => span.tags['http.url']),
      [`${site.url}/api/boxed`, `${site.url}/shop/null`],
    )
  })

  it('should give the ignore rule and hooks a relative URL resolved, as the page resolves it', async () => {
    const pageFetch: typeof globalThis.fetch = (input, init) =>
      globalThis.fetch(new URL(input, `${site.url}/shop/cart`), init)
    const seen: string[] = []
    const fetch = page.exports.tracedFetch(pageFetch, {
      tracer: recording.tracer,
      ignore: (request) => new URL(request.url).pathname.startsWith('/downloads/'),
      onStart: ({ request }) => seen.push(`start ${String(request.url)}`),
      onFinish: ({ request }) => seen.push(`finish ${String(request.url)}`),
      onError: (error) => seen.push(`error ${String(error)}`),
    })
    await fetch('/downloads/report.pdf')
    await fetch('orders')
    assert.deepEqual(
      site.received.map((echo) => [echo.url, traceHeaders(echo)]),
      [
        ['/downloads/report.pdf', []],
        ['/shop/orders', ['traceparent']],
      ],
    )
    assert.deepEqual(seen, [`start ${site.url}/shop/orders`, `finish ${site.url}/shop/orders`])
  })

  it('should redact a relative URL as given from the error a failed call names it in', async () => {
    const failing = (input: string) =>
      Promise.reject(new page.exports.PageTypeError(`could not reach ${input}`))
    const fetch = page.exports.tracedFetch(failing, { tracer: recording.tracer })
    await assert.rejects(fetch('/reset?token=SECRET123'), { name: 'TypeError' })
    const [span] = recording.tracer.finishedSpans()
    assert.equal(span?.tags['error.message'], 'could not reach /reset?token=REDACTED')
  })

  it("should read a URL with the page's scheme and no slashes as the page's path", async () => {
    // `http:reports` is a path to a page served over http, as a browser reads it, not host `reports`.
    const pageUrl = `${site.url}/shop/cart`
    const pageFetch: typeof globalThis.fetch = (input, init) =>
      globalThis.fetch(new URL(input, pageUrl), init)
    const fetch = page.exports.tracedFetch(pageFetch, { tracer: recording.tracer })
    await fetch('http:reports')
    assert.deepEqual(
      site.received.map((echo) => [echo.url, traceHeaders(echo)]),
      [['/shop/reports', ['traceparent']]],
    )
    const [span] = recording.tracer.finishedSpans()
    assert.equal(span?.tags['http.url'], `${site.url}/shop/reports`)
  })

  it('should report an invalid origin through onError, and still make the call', async () => {
    const reported: string[] = []
    const fetch = page.exports.tracedFetch(undefined, {
      tracer: recording.tracer,
      propagate: ['api.example.com'],
      onError: (_error, where) => reported.push(where),
    })
    const response = await fetch(`${api.url}/x`)
    assert.equal(response.status, 200)
    assert.deepEqual(traceHeaders(api.received[0]), [])
    assert.deepEqual(reported, ['propagate target'])
  })

  it('should keep the active span through synchronous code only, not across await', async () => {
    const fetch = page.exports.tracedFetch(undefined, { tracer: recording.tracer })
    await page.exports.startActiveSpan(
      'checkout',
      async () => {
        await fetch(`${site.url}/before-await`)
        await fetch(`${site.url}/after-await`)
      },
      { tracer: recording.tracer },
    )
    const spans = recording.tracer.finishedSpans()
    const checkout = spans.find((span) => span.operationName === 'checkout')
    const before = spans.find((span) => span.tags['http.url'] === `${site.url}/before-await`)
    const after = spans.find((span) => span.tags['http.url'] === `${site.url}/after-await`)
    assert.equal(before?.parentId, checkout?.spanId, 'a call made before the first await')
    assert.equal(after?.parentId, undefined, 'a call made after it starts a root span')
    assert.notEqual(after?.traceId, checkout?.traceId)
  })
})

describe('tracedFetch in a sandboxed page (browser build)', () => {
  // A page served with `Content-Security-Policy: sandbox` (or in a sandboxed frame) keeps its
  // address, but its origin is opaque: every call is cross-origin, a trace header would ask for a
  // preflight.
  const page = useTestPage<Pick<PageExports, 'tracedFetch'>>(
    `export { tracedFetch } from '@tracehop/fetch'`,
    { origin: 'null' },
  )
  const recording = useRecordingTracer()

  it('should send no trace header to the address the page was loaded from', async () => {
    const fetch = page.exports.tracedFetch(undefined, { tracer: recording.tracer })
    await fetch(`${page.site.url}/same-address`)
    const received = page.site.received.find((echo) => echo.url === '/same-address')
    assert.ok(received !== undefined)
    assert.deepEqual(traceHeaders(received), [])
    assert.equal(recording.tracer.finishedSpans().length, 1, 'the call is still traced')
  })
})

describe("tracedFetch in a page with no fetch yet (Jest's jsdom environment)", () => {
  const page = useTestPage<PageExports & { setFetch(fetch: unknown): void }>(
    `export { tracedFetch } from '@tracehop/fetch'
export { startActiveSpan } from '@tracehop/core'
export function setFetch(fetch) { globalThis.fetch = fetch }`,
    { fetch: undefined },
  )
  const recording = useRecordingTracer()

  it('should wrap whatever global fetch there is when a call is made', async () => {
    const fetch = page.exports.tracedFetch(undefined, { tracer: recording.tracer })
    assert.equal(fetch.length, 1)
    await assert.rejects(fetch(`${page.site.url}/early`), { name: 'TypeError' })
    page.exports.setFetch(globalThis.fetch)
    const response = await fetch(`${page.site.url}/late`)
    assert.equal(response.status, 200)
    assert.deepEqual(
      page.site.received.map((echo) => [echo.url, traceHeaders(echo)]),
      [['/late', ['traceparent']]],
    )
    // Made the global fetch itself, it fails as fetch would (the page's TypeError) once it has
    // called itself once, rather than for ever.
    page.exports.setFetch(fetch)
    await assert.rejects(fetch(`${page.site.url}/itself`), { name: 'TypeError' })
    // Or wrapped into it (a test's spy): the wrapped call fails once, not for ever.
    page.exports.setFetch((input: string) => fetch(input))
    await assert.rejects(fetch(`${page.site.url}/wrapped`), { name: 'TypeError' })
    const spans = recording.tracer.finishedSpans()
    assert.deepEqual(
      spans.map((span) => [span.tags['http.url'], span.tags.error ?? false]),
      [
        [`${page.site.url}/early`, true],
        [`${page.site.url}/late`, false],
        [`${page.site.url}/itself`, true],
        [`${page.site.url}/itself`, true],
        [`${page.site.url}/wrapped`, true],
        [`${page.site.url}/wrapped`, true],
      ],
    )
  })
})
