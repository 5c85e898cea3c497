// Trace headers on the redirects axios's http adapter follows: follow-redirects sends a request's
// headers again, custom ones included, to whatever origin a redirect names, so `propagate` is
// applied to each hop. Origins: 127.0.0.1 is allowed, localhost (the same servers) is not.
import assert from 'node:assert/strict'
import type { IncomingHttpHeaders } from 'node:http'
import { after, before, beforeEach, describe, it } from 'node:test'
import { withSpan } from '@tracehop/core'
import { registerTracingInterceptor } from '@tracehop/axios'
import { parseTraceParent } from '@tracehop/testing'
import axios, {
  type AxiosError,
  type AxiosRequestConfig,
  type InternalAxiosRequestConfig,
} from 'axios'
import { useEchoServer } from '../../../test/support/echo-server.js'
import { listen, type RunningServer } from '../../../test/support/net.js'
import { useRecordingTracer } from '../../../test/support/recording-tracer.js'

describe('registerTracingInterceptor, on the redirects of the http adapter', () => {
  const echo = useEchoServer()
  const recording = useRecordingTracer()
  // Answers 302 to the URL in its `to` query parameter, and keeps the headers of each request.
  const redirected: IncomingHttpHeaders[] = []
  let redirector: RunningServer

  before(async () => {
    redirector = await listen((req, res) => {
      redirected.push(req.headers)
      const to = new URL(req.url ?? '/', 'http://redirector').searchParams.get('to') ?? '/'
      res.writeHead(302, { location: to })
      res.end()
    })
  })
  after(() => redirector.close())
  beforeEach(() => {
    echo.received.length = 0
    redirected.length = 0
  })

  const propagate = (url: string) => new URL(url).hostname === '127.0.0.1'
  const elsewhere = (url: string) => url.replace('//127.0.0.1:', '//localhost:')
  const redirectTo = (to: string, origin = redirector.url) =>
    `${origin}/?to=${encodeURIComponent(to)}`
  const traceHeaders = (headers: IncomingHttpHeaders | undefined) =>
    Object.keys(headers ?? {}).filter((name) => /^(traceparent|tracestate|baggage)$/.test(name))

  async function send(url: string, config: AxiosRequestConfig = {}, instance = axios.create()) {
    const unregister = registerTracingInterceptor(instance, { tracer: recording.tracer, propagate })
    const parent = recording.tracer.startSpan('handler')
    parent.setBaggageItem('tenant', 'acme')
    try {
      return await withSpan(parent, () => instance.get(url, config))
    } finally {
      parent.finish()
      unregister()
    }
  }

  const clientSpans = () =>
    recording.tracer.finishedSpans().filter((span) => span.tags['span.kind'] === 'client')

  it('should send no trace header to an origin propagate does not allow that a redirect leads to', async () => {
    const url = redirectTo(elsewhere(`${echo.url}/prices`))
    const response = await send(url, { headers: { 'x-app': 'kept' } })
    assert.equal(response.status, 200)
    assert.deepEqual(traceHeaders(redirected[0]), ['traceparent', 'baggage'])
    assert.equal(echo.received.length, 1)
    assert.deepEqual(traceHeaders(echo.received[0]?.headers), [])
    assert.equal(echo.received[0]?.headers['x-app'], 'kept')
    const [span] = clientSpans()
    assert.equal(clientSpans().length, 1)
    assert.equal(span?.tags['http.status_code'], 200)
    assert.equal(span?.tags['http.url'], url)
    assert.equal(parseTraceParent(String(redirected[0]?.traceparent))?.spanId, span?.spanId)
  })

  it('should carry the trace on to an allowed origin that a redirect through another leads back to', async () => {
    const back = `${echo.url}/back`
    await send(redirectTo(redirectTo(back, elsewhere(redirector.url))))
    assert.equal(redirected.length, 2)
    assert.deepEqual(traceHeaders(redirected[1]), [])
    const first = redirected[0]
    const last = echo.received[0]?.headers
    assert.deepEqual(traceHeaders(last), ['traceparent', 'baggage'])
    assert.equal(last?.traceparent, first?.traceparent)
    assert.equal(last?.baggage, first?.baggage)
    assert.equal(clientSpans().length, 1)
  })

  it("should call the app's own beforeRedirect first and decide on the hop it leaves", async () => {
    const seen: Array<[number, string | undefined]> = []
    // The app's hook sends the hop to another origin than the redirect named.
    const instance = axios.create({
      beforeRedirect: (options, response) => {
        const headers = options.headers as Record<string, string> | undefined
        seen.push([response.statusCode, headers?.['x-app']])
        options.hostname = 'localhost'
      },
    })
    await send(redirectTo(`${echo.url}/moved`), { headers: { 'x-app': 'kept' } }, instance)
    assert.deepEqual(seen, [[302, 'kept']])
    assert.deepEqual(traceHeaders(redirected[0]), ['traceparent', 'baggage'])
    assert.equal(echo.received[0]?.headers.host, `localhost:${echo.port}`)
    assert.deepEqual(traceHeaders(echo.received[0]?.headers), [])
    assert.equal(instance.defaults.beforeRedirect?.name, 'beforeRedirect')
  })

  it("should not let a retry's redirects carry the trace headers of an earlier attempt", async () => {
    const instance = axios.create()
    // Fails over to another origin, which redirects back to the first one.
    instance.interceptors.response.use(undefined, async (error: AxiosError) => {
      const config = error.config as InternalAxiosRequestConfig & { failedOver?: boolean }
      if (config.failedOver === true) throw error
      config.failedOver = true
      config.url = redirectTo(`${echo.url}/after-retry`, elsewhere(redirector.url))
      return instance.request(config)
    })
    let hookCalls = 0
    const beforeRedirect = () => {
      hookCalls++
    }
    await send(`${echo.url}/status/503`, { beforeRedirect }, instance)
    assert.deepEqual(
      echo.received.map((received) => [received.url, traceHeaders(received.headers)]),
      [
        ['/status/503', ['traceparent', 'baggage']],
        ['/after-retry', []],
      ],
    )
    assert.deepEqual(traceHeaders(redirected[0]), [])
    assert.equal(hookCalls, 1)
    // The fail-over interceptor runs before tracehop's: the first attempt ends as superseded.
    assert.deepEqual(
      clientSpans().map((span) => span.tags['http.status_code']),
      [undefined, 200],
    )
  })
})
