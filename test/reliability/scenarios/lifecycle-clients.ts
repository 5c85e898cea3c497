// The cases of the client lifecycle matrix (lifecycle-client.test.ts), for axios and for fetch: how
// each iteration makes its call, how many spans it starts, and what its span must say.
import assert from 'node:assert/strict'
import { registerTracingInterceptor } from '@tracehop/axios'
import { withSpan } from '@tracehop/core'
import { tracedFetch } from '@tracehop/fetch'
import { parseTraceParent, type RecordingSpan } from '@tracehop/testing'
import axios, { type AxiosRequestConfig, type AxiosResponse } from 'axios'
import type { Echo, EchoServer } from '../../support/echo-server.js'
import { assertErrorLog, now, type StartTagTracer } from '../support/lifecycle.js'

/** How one iteration's call ended, as the caller saw it. */
interface Outcome {
  status?: number | undefined
  error?: unknown
  settledAt: number
}

const outcome = <T>(call: Promise<T>, status: (value: T) => number | undefined) =>
  call.then(
    (value): Outcome => ({ status: status(value), settledAt: now() }),
    (error: unknown): Outcome => ({ error, settledAt: now() }),
  )

export interface Case {
  name: string
  /** Iterations, and how many at a time; default ITERATIONS (200), CONCURRENCY (20). */
  iterations?: number
  concurrency?: number
  /** Spans per iteration; default 1. */
  spans?: number
  run(n: number): Promise<Outcome>
  check(spans: RecordingSpan[], result: Outcome, n: number): void
}

export interface Targets {
  echo: EchoServer
  /** Answers 200 with a first chunk and never ends the body. */
  hang: () => string
  refused: () => string
}

const aborted = ([span]: RecordingSpan[], result: Outcome) => {
  assert.ok(result.error !== undefined, 'the call rejected')
  assert.equal(span!.tags['http.aborted'], true)
  assert.equal(span!.tags.error, undefined, 'an abort is not an error')
  assert.equal(span!.logs.length, 0)
}
const timedOut = ([span]: RecordingSpan[], result: Outcome) => {
  assert.equal(span!.tags['http.timeout'], true)
  assert.equal(span!.tags.error, true)
  assertErrorLog(span!, result.error)
}
const networkFailure = ([span]: RecordingSpan[], result: Outcome) => {
  assert.equal(span!.tags['http.status_code'], undefined)
  assert.equal(span!.tags.error, true)
  assertErrorLog(span!, result.error)
}
const status =
  (expected: number) =>
  ([span]: RecordingSpan[], result: Outcome) => {
    assert.equal(result.status, expected)
    assert.equal(span!.tags['http.status_code'], expected)
    assert.equal(span!.tags.error, expected >= 400 ? true : undefined)
    assert.equal(span!.tags['http.aborted'], undefined)
  }
// A response with an error status: the status is the failure, whichever client made the call.
const assertStatusLog = (span: RecordingSpan, expected: number) => {
  const logs = span.logs.filter((log) => log.fields.event === 'error')
  assert.deepEqual(
    logs.map((log) => [log.fields['error.kind'], log.fields.message]),
    [['HTTPStatus', `HTTP status ${expected}`]],
  )
}
const abortIn = (ms: number) => {
  const controller = new AbortController()
  setTimeout(() => controller.abort(), ms)
  return controller.signal
}
// `.invalid` never resolves (RFC 6761), but the answer comes from the system resolver: here it
// drops queries past a few per second (a lookup then waits 5 s for its retry), so 200 lookups
// would take 35 s. The DNS cases make 20, 4 at a time; the lifecycle at stake is the same.
const invalidHost = (n: number) => `http://tracehop-lifecycle.invalid/x?n=${n}`
const DNS = { iterations: 20, concurrency: 4 }
const errorStatus = (n: number) => (n % 2 === 0 ? 404 : 503)

export function axiosCases(tracer: StartTagTracer, { echo, hang, refused }: Targets): Case[] {
  const client = axios.create()
  registerTracingInterceptor(client, { tracer })
  const get = (url: string, config?: AxiosRequestConfig) =>
    outcome(client.get<unknown>(url, config), (response) => response.status)

  // The app's own interceptor, registered after tracing as the README says, throws.
  const interceptorThrows = axios.create()
  registerTracingInterceptor(interceptorThrows, { tracer })
  interceptorThrows.interceptors.request.use((config) => {
    if (config.url?.includes('/throw')) throw new Error('interceptor boom')
    return config
  })

  // axios-retry's way: the same config object sent again from a response interceptor.
  const retrying = axios.create()
  registerTracingInterceptor(retrying, { tracer })
  retrying.interceptors.response.use(undefined, (error: unknown) => {
    // Its state travels on the config itself, which axios copies into each new request.
    const config = (error as { config?: AxiosRequestConfig & { attempt?: number } }).config
    const attempt = config?.attempt ?? 1
    if (config === undefined || attempt >= 3) throw error
    config.attempt = attempt + 1
    return retrying.request<unknown, AxiosResponse>(config)
  })

  return [
    {
      name: 'an abort before the response headers',
      run: (n) => get(`${echo.url}/slow?n=${n}`, { signal: abortIn(20) }),
      check: aborted,
    },
    {
      name: 'an abort after the response headers, mid-body',
      run: (n) => {
        const controller = new AbortController()
        const onDownloadProgress = () => controller.abort()
        return get(`${hang()}/?n=${n}`, { signal: controller.signal, onDownloadProgress })
      },
      check: aborted,
    },
    {
      name: 'a timeout',
      run: (n) => get(`${echo.url}/slow?n=${n}`, { timeout: 50 }),
      check: timedOut,
    },
    {
      name: 'a refused connection',
      run: (n) => get(`${refused()}/x?n=${n}`),
      check: networkFailure,
    },
    { name: 'a DNS failure', ...DNS, run: (n) => get(invalidHost(n)), check: networkFailure },
    {
      name: 'a 4xx or 5xx accepted by validateStatus',
      run: (n) =>
        get(`${echo.url}/status/${errorStatus(n)}?n=${n}`, { validateStatus: () => true }),
      check: (spans, result, n) => status(errorStatus(n))(spans, result),
    },
    {
      name: 'a validateStatus rejection',
      run: (n) => get(`${echo.url}/status/${errorStatus(n)}?n=${n}`),
      check: ([span], result, n) => {
        assert.equal(span!.tags['http.status_code'], errorStatus(n))
        assert.equal(span!.tags.error, true)
        assert.ok(result.error !== undefined, 'the caller gets the AxiosError')
        assertStatusLog(span!, errorStatus(n))
      },
    },
    {
      name: 'a request interceptor registered after tracing throws',
      spans: 0,
      run: (n) =>
        outcome(interceptorThrows.get(`${echo.url}/throw?n=${n}`), (response) => response.status),
      check: (spans, result) => {
        assert.equal((result.error as Error | undefined)?.message, 'interceptor boom')
        // It runs before tracing's (axios runs request interceptors last-registered first):
        // the request never left, and no span was started for it.
        assert.equal(spans.length, 0)
      },
    },
    {
      name: 'a retry of the same config, 3 attempts',
      spans: 4, // the parent and its 3 attempts
      run: (n) => {
        const parent = tracer.startSpan('parent', { tags: { 'http.url': `/parent?n=${n}` } })
        const call = withSpan(parent, () => retrying.get(`${echo.url}/status/503?n=${n}`))
        return outcome(call, (response) => response.status).finally(() => parent.finish())
      },
      check: (spans, result, n) => {
        const [parent, ...children] = spans
        assert.equal(children.length, 3)
        assert.equal(new Set(children.map(({ spanId }) => spanId)).size, 3)
        for (const child of children) {
          assert.equal(child.parentId, parent!.spanId)
          assert.equal(child.tags['http.status_code'], 503)
          assert.equal(child.tags.error, true)
        }
        assert.ok(result.error !== undefined, 'the caller gets the last AxiosError')
        for (const child of children) assertStatusLog(child, 503)
        const received = echo.received.filter(({ url }) => url === `/status/503?n=${n}`)
        const sent = received.map(({ rawHeaders }) =>
          rawHeaders.filter((_, i) => i % 2 === 1 && /^traceparent$/i.test(rawHeaders[i - 1]!)),
        )
        // One traceparent per attempt, each the attempt's own: overwritten, never doubled.
        assert.deepEqual(
          sent.map((values) => values.map((value) => parseTraceParent(value)?.spanId)),
          children.map(({ spanId }) => [spanId]),
        )
      },
    },
  ]
}

export function fetchCases(tracer: StartTagTracer, { echo, hang, refused }: Targets): Case[] {
  const fetch = tracedFetch(globalThis.fetch, { tracer })
  const call = (input: string | Request, init?: RequestInit) =>
    outcome(fetch(input, init), (response) => response.status)
  const echoed = (response: Response) => response.json() as Promise<Echo>
  const bodies: Echo[] = []

  return [
    {
      name: 'an abort before the response headers',
      run: (n) => call(`${echo.url}/slow?n=${n}`, { signal: abortIn(20) }),
      check: aborted,
    },
    {
      name: 'an abort after the response headers: the body fails, the span is finished',
      run: async (n) => {
        const controller = new AbortController()
        const response = await fetch(`${hang()}/?n=${n}`, { signal: controller.signal })
        controller.abort()
        return outcome(response.text(), () => response.status)
      },
      check: ([span], result) => {
        assert.equal((result.error as Error | undefined)?.name, 'AbortError')
        assert.equal(span!.tags['http.status_code'], 200)
        assert.equal(span!.tags.error, undefined)
      },
    },
    {
      name: 'AbortSignal.timeout',
      run: (n) => call(`${echo.url}/slow?n=${n}`, { signal: AbortSignal.timeout(50) }),
      check: timedOut,
    },
    {
      name: 'a refused connection',
      run: (n) => call(`${refused()}/x?n=${n}`),
      check: networkFailure,
    },
    { name: 'a DNS failure', ...DNS, run: (n) => call(invalidHost(n)), check: networkFailure },
    {
      name: 'a 4xx or 5xx',
      run: (n) => call(`${echo.url}/status/${errorStatus(n)}?n=${n}`),
      check: (spans, result, n) => status(errorStatus(n))(spans, result),
    },
    {
      name: 'a Request with an init',
      run: async (n) => {
        const request = new Request(`${echo.url}/echo?n=${n}`, {
          method: 'POST',
          headers: { 'x-from': 'request' },
          body: `payload ${n}`,
        })
        const response = await fetch(request, { headers: { 'x-from': 'init' } })
        bodies[n] = await echoed(response)
        return { status: response.status, settledAt: now() }
      },
      check: (spans, result, n) => {
        status(200)(spans, result)
        const seen = bodies[n]!
        assert.equal(seen.method, 'POST')
        assert.equal(seen.body, `payload ${n}`)
        assert.equal(seen.headers['x-from'], 'init')
        assert.equal(parseTraceParent(String(seen.headers.traceparent))?.spanId, spans[0]!.spanId)
      },
    },
    {
      name: "a ReadableStream body with duplex: 'half'",
      run: async (n) => {
        const body = new ReadableStream<Uint8Array>({
          start(controller) {
            controller.enqueue(new TextEncoder().encode(`stream ${n}`))
            controller.close()
          },
        })
        const init = { method: 'POST', body, duplex: 'half' } as RequestInit
        const response = await fetch(`${echo.url}/echo?n=${n}`, init)
        bodies[n] = await echoed(response)
        return { status: response.status, settledAt: now() }
      },
      check: (spans, result, n) => {
        status(200)(spans, result)
        assert.equal(bodies[n]!.body, `stream ${n}`)
      },
    },
    {
      name: 'the response body cancelled',
      run: async (n) => {
        const response = await fetch(`${hang()}/?n=${n}`)
        await response.body?.cancel()
        return { status: response.status, settledAt: now() }
      },
      check: status(200),
    },
  ]
}
