// The browser build of the axios interceptor as a page runs it: bundled with axios's own browser
// build as a bundler does, and run with a page's globals (`location`, `fetch`: axios's fetch
// adapter, as a page without XMLHttpRequest uses) and none of Node's.
import assert from 'node:assert/strict'
import { describe, it } from 'node:test'
import type * as Axios from '@tracehop/axios'
import type * as Core from '@tracehop/core'
import type { AxiosStatic, InternalAxiosRequestConfig } from 'axios'
import { useTestPage } from '../../../test/support/browser-bundle.js'
import type { Echo } from '../../../test/support/echo-server.js'
import { useRecordingTracer } from '../../../test/support/recording-tracer.js'

interface PageExports {
  axios: AxiosStatic
  registerTracingInterceptor: typeof Axios.registerTracingInterceptor
  withSpan: typeof Core.withSpan
}

describe('registerTracingInterceptor in a page (browser build)', () => {
  const page = useTestPage<PageExports>(
    `export { default as axios } from 'axios'
export { registerTracingInterceptor } from '@tracehop/axios'
export { withSpan } from '@tracehop/core'`,
    { ReadableStream },
  )
  const { site, api } = page
  const recording = useRecordingTracer()

  const carriesTrace = (echo: Echo | undefined) =>
    Object.keys(echo?.headers ?? {}).some((name) => /traceparent|baggage/.test(name))

  it("should propagate to the page's own origin only by default", async () => {
    const client = page.exports.axios.create({ adapter: 'fetch' })
    page.exports.registerTracingInterceptor(client, { tracer: recording.tracer })
    await client.get(`${site.url}/absolute`)
    await client.get(`${api.url}/cross-origin`)
    assert.equal(carriesTrace(site.received[0]), true)
    assert.equal(carriesTrace(api.received[0]), false)
    const urls = recording.tracer.finishedSpans().map((span) => span.tags['http.url'])
    assert.deepEqual(urls, [`${site.url}/absolute`, `${api.url}/cross-origin`])
  })

  it('should add listed origins to the page origin', async () => {
    const client = page.exports.axios.create({ adapter: 'fetch' })
    page.exports.registerTracingInterceptor(client, {
      tracer: recording.tracer,
      propagate: api.url,
    })
    await client.get(`${api.url}/listed`)
    assert.equal(carriesTrace(api.received.at(-1)), true)
    assert.equal(recording.tracer.finishedSpans().length, 1)
  })

  it('should take a protocol-relative URL as axios does: to its own host, not under baseURL', async () => {
    const sent: Array<Record<string, unknown>> = []
    const client = page.exports.axios.create({
      baseURL: `${site.url}/api`,
      // Records what would go out: Node's fetch, which the page borrows, has no page to resolve
      // a protocol-relative URL against.
      adapter: (config) => {
        sent.push(config.headers.toJSON())
        return Promise.resolve({ data: '', status: 200, statusText: 'OK', headers: {}, config })
      },
    })
    page.exports.registerTracingInterceptor(client, { tracer: recording.tracer })
    await client.get(`//${new URL(api.url).host}/data`)
    const [span] = recording.tracer.finishedSpans()
    assert.equal(span?.tags['http.url'], `${api.url}/data`)
    assert.equal(sent[0]?.traceparent, undefined, 'another origin: no trace header')
  })

  it('should give the ignore rule and hooks a relative URL resolved, as the page resolves it', async () => {
    const sent: Array<Record<string, unknown>> = []
    const client = page.exports.axios.create({
      // Records what would go out: the page's fetch, Node's, cannot resolve a relative URL.
      adapter: (config) => {
        sent.push(config.headers.toJSON())
        return Promise.resolve({ data: '', status: 200, statusText: 'OK', headers: {}, config })
      },
    })
    const seen: string[] = []
    page.exports.registerTracingInterceptor(client, {
      tracer: recording.tracer,
      ignore: (request) => new URL(request.url).pathname.startsWith('/downloads/'),
      onStart: ({ request }) => seen.push(`start ${String(request.url)}`),
      onFinish: ({ request }) => seen.push(`finish ${String(request.url)}`),
      onError: (error) => seen.push(`error ${String(error)}`),
    })
    await client.get('/downloads/report.pdf')
    await client.get('orders')
    assert.deepEqual(
      sent.map((headers) => headers.traceparent !== undefined),
      [false, true],
    )
    assert.deepEqual(seen, [`start ${site.url}/shop/orders`, `finish ${site.url}/shop/orders`])
    const [span] = recording.tracer.finishedSpans()
    assert.equal(span?.tags['http.url'], `${site.url}/shop/orders`)
  })

  it("should keep a retry re-sent from a promise callback in the first attempt's trace", async () => {
    const client = page.exports.axios.create({ adapter: 'fetch' })
    page.exports.registerTracingInterceptor(client, { tracer: recording.tracer })
    // As axios-retry does: the failed attempt's config, sent again once its error is seen.
    client.interceptors.response.use(undefined, (error: { config: InternalAxiosRequestConfig }) => {
      const config = error.config as InternalAxiosRequestConfig & { retried?: boolean }
      if (config.retried === true) return Promise.reject(new Error('retried already'))
      config.retried = true
      return client.request(config)
    })
    const sentBefore = site.received.length
    const parent = recording.tracer.startSpan('handler')
    await assert.rejects(page.exports.withSpan(parent, () => client.get(`${site.url}/status/503`)))
    parent.finish()
    const attempts = recording.tracer.finishedSpans().filter((span) => span !== parent)
    assert.equal(attempts.length, 2)
    for (const span of attempts) assert.equal(span.parentId, parent.spanId)
    assert.equal(site.received.length - sentBefore, 2)
  })
})
