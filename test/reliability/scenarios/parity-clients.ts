// Behaviour parity: client scenarios, axios and fetch, traced, against their untraced selves.
import assert from 'node:assert/strict'
import { registerTracingInterceptor } from '@tracehop/axios'
import { startActiveSpan } from '@tracehop/core'
import { tracedFetch } from '@tracehop/fetch'
import { RecordingTracer, parseTraceParent } from '@tracehop/testing'
import axios, { AxiosHeaders, type AxiosError, type AxiosInstance } from 'axios'
import { closedPortUrl, type EchoServer, type Echo } from '../../support/echo-server.js'

export interface ClientScenario {
  name: string
  check: (echo: EchoServer) => Promise<void>
}

const PROPAGATION = new Set(['traceparent', 'tracestate', 'baggage'])

/** The echoed request without its propagation headers (and the per-connection ones). */
function withoutTrace(echo: Echo): Omit<Echo, 'rawHeaders'> {
  const headers = Object.fromEntries(
    Object.entries(echo.headers).filter(([name]) => !PROPAGATION.has(name)),
  )
  return { method: echo.method, url: echo.url, headers, body: echo.body }
}

function count(echo: Echo | undefined, name: string): number {
  return (echo?.rawHeaders ?? []).filter((header, i) => i % 2 === 0 && header === name).length
}

/** Runs `send` untraced and traced (a fresh tracer) and returns what the echo server saw. */
async function bothWays<T>(
  echo: EchoServer,
  send: (tracer: RecordingTracer | undefined) => Promise<T>,
): Promise<{ plain: T; traced: T; received: Echo[][]; tracer: RecordingTracer }> {
  echo.received.length = 0
  const plain = await send(undefined)
  const plainReceived = echo.received.splice(0)
  const tracer = new RecordingTracer()
  const traced = await send(tracer)
  return { plain, traced, received: [plainReceived, echo.received.splice(0)], tracer }
}

function instance(echo: EchoServer, tracer: RecordingTracer | undefined): AxiosInstance {
  const http = axios.create({ baseURL: echo.url })
  if (tracer !== undefined) registerTracingInterceptor(http, { tracer })
  return http
}

const fetchFor = (tracer: RecordingTracer | undefined) =>
  tracer === undefined ? globalThis.fetch : tracedFetch(globalThis.fetch, { tracer })

const USER_TRACEPARENT = '00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01'

export const clientScenarios: readonly ClientScenario[] = [
  {
    name: 'axios: the config and its headers are deep-equal after the call, same headers object',
    check: async (echo) => {
      const tracer = new RecordingTracer()
      const http = instance(echo, tracer)
      for (const headers of [
        { 'x-user': '1', traceparent: USER_TRACEPARENT },
        new AxiosHeaders({ 'x-user': '2' }),
      ]) {
        const config = { headers, params: { q: 'a' }, timeout: 2000 }
        const before = structuredClone({ ...config, headers: JSON.stringify(headers) })
        await http.get('/config', config)
        assert.equal(config.headers, headers)
        assert.deepEqual({ ...config, headers: JSON.stringify(headers) }, before)
      }
      assert.equal(tracer.finishedSpans().length, 2)
    },
  },
  {
    name: 'axios: a shared headers object reused by 100 requests never carries a stale traceparent',
    check: async (echo) => {
      const tracer = new RecordingTracer()
      const http = instance(echo, tracer)
      const shared = { 'x-shared': 'yes' }
      echo.received.length = 0
      for (let i = 0; i < 100; i++) {
        await startActiveSpan('work', () => http.get(`/shared/${i}`, { headers: shared }), {
          tracer,
        })
        assert.deepEqual(shared, { 'x-shared': 'yes' })
      }
      const clients = tracer.finishedSpans().filter((span) => span.tags['span.kind'] === 'client')
      const sent = echo.received.map((received) =>
        parseTraceParent(String(received.headers.traceparent)),
      )
      assert.deepEqual(
        sent.map((context) => context?.spanId),
        clients.map((span) => span.spanId),
      )
      assert.equal(new Set(sent.map((context) => context?.spanId)).size, 100)
      assert.ok(echo.received.every((received) => count(received, 'traceparent') === 1))
    },
  },
  {
    name: 'axios: user interceptors before and after ours run in the untraced order',
    check: async (echo) => {
      const run = async (tracer: RecordingTracer | undefined) => {
        const calls: string[] = []
        const http = axios.create({ baseURL: echo.url })
        http.interceptors.request.use((config) => (calls.push('request before'), config))
        http.interceptors.response.use(
          (response) => (calls.push('response before'), response),
          (error: unknown) => {
            calls.push('error before')
            throw error
          },
        )
        if (tracer !== undefined) registerTracingInterceptor(http, { tracer })
        http.interceptors.request.use((config) => (calls.push('request after'), config))
        http.interceptors.response.use(
          (response) => (calls.push('response after'), response),
          (error: unknown) => {
            calls.push('error after')
            throw error
          },
        )
        const ok = await http.get<Echo>('/order')
        const failed = await http.get('/status/503').catch((error: unknown) => error)
        return { calls, status: ok.status, failed: (failed as Error).message }
      }
      const { plain, traced, tracer } = await bothWays(echo, run)
      assert.deepEqual(traced, plain)
      assert.equal(tracer.finishedSpans().length, 2)
    },
  },
  {
    name: 'axios: the caller catches the very error axios produced (HTTP error and refused)',
    check: async (echo) => {
      const closed = await closedPortUrl()
      const run = async (tracer: RecordingTracer | undefined) => {
        const http = axios.create({ baseURL: echo.url })
        const seen: unknown[] = []
        http.interceptors.response.use(undefined, (error: unknown) => {
          seen.push(error)
          throw error
        })
        if (tracer !== undefined) registerTracingInterceptor(http, { tracer })
        const caught = [
          await http.get('/status/404').catch((error: unknown) => error),
          await http.get(`${closed}/x`).catch((error: unknown) => error),
        ]
        assert.equal(caught[0], seen[0])
        assert.equal(caught[1], seen[1])
        return caught.map((error) => {
          const { code, message, name, response } = error as AxiosError
          return { code, message, name, status: response?.status }
        })
      }
      const { plain, traced } = await bothWays(echo, run)
      assert.deepEqual(traced, plain)
    },
  },
  {
    name: 'axios: a retry re-sending its config reaches the server as untraced, one traceparent each',
    check: async (echo) => {
      const run = async (tracer: RecordingTracer | undefined) => {
        const http = instance(echo, tracer)
        let retried = false
        http.interceptors.response.use(undefined, (error: unknown) => {
          const config = (error as AxiosError).config
          if (retried || config === undefined) throw error
          retried = true
          config.url = '/status/200'
          return http.request(config)
        })
        const response = await http.get<Echo>('/status/503', { headers: { 'x-try': '1' } })
        return { status: response.status, url: response.data.url }
      }
      const { plain, traced, received } = await bothWays(echo, run)
      assert.deepEqual(traced, plain)
      assert.deepEqual(received[1]?.map(withoutTrace), received[0]?.map(withoutTrace))
      assert.deepEqual(
        received[1]?.map((r) => count(r, 'traceparent')),
        [1, 1],
      )
    },
  },
  {
    name: 'fetch: the Request and the init are not mutated',
    check: async (echo) => {
      const fetch = tracedFetch(globalThis.fetch, { tracer: new RecordingTracer() })
      const request = new Request(`${echo.url}/req`, { headers: { 'x-req': '1' } })
      const headers = new Headers({ 'x-init': '2' })
      const init = { headers, method: 'GET' }
      await (await fetch(request, init)).text()
      await (await fetch(`${echo.url}/plain`, init)).text()
      assert.deepEqual([...request.headers], [['x-req', '1']])
      assert.equal(init.headers, headers)
      assert.deepEqual([...headers], [['x-init', '2']])
      assert.deepEqual(Object.keys(init), ['headers', 'method'])
      assert.equal(request.bodyUsed, false)
    },
  },
  {
    name: 'fetch: a user traceparent appears exactly once on the wire, whatever the headers form',
    check: async (echo) => {
      const fetch = tracedFetch(globalThis.fetch, { tracer: new RecordingTracer() })
      echo.received.length = 0
      const forms: Array<NonNullable<RequestInit['headers']>> = [
        { traceparent: USER_TRACEPARENT },
        { TraceParent: USER_TRACEPARENT },
        new Headers({ traceparent: USER_TRACEPARENT }),
        [['traceparent', USER_TRACEPARENT]],
      ]
      for (const headers of forms) await (await fetch(`${echo.url}/tp`, { headers })).text()
      const request = new Request(`${echo.url}/tp`, { headers: { traceparent: USER_TRACEPARENT } })
      await (await fetch(request)).text()
      assert.equal(echo.received.length, 5)
      for (const received of echo.received) {
        assert.equal(count(received, 'traceparent'), 1)
        assert.notEqual(received.headers.traceparent, USER_TRACEPARENT)
      }
    },
  },
  {
    name: 'fetch(Request, init) keeps the headers untraced fetch keeps',
    check: async (echo) => {
      const send = async (tracer: RecordingTracer | undefined) => {
        const fetch = fetchFor(tracer)
        const request = new Request(`${echo.url}/both`, {
          method: 'POST',
          headers: { 'x-from-request': '1', 'content-type': 'text/plain' },
          body: 'request body',
        })
        await (await fetch(request, { headers: { 'x-from-init': '2' } })).text()
        const second = new Request(`${echo.url}/only-request`, { headers: { 'x-req': 'r' } })
        await (await fetch(second, { method: 'PUT', body: 'init body' })).text()
      }
      const { received, tracer } = await bothWays(echo, send)
      assert.deepEqual(received[1]?.map(withoutTrace), received[0]?.map(withoutTrace))
      assert.equal(tracer.finishedSpans().length, 2)
    },
  },
  {
    name: "fetch: a stream body with duplex: 'half' is sent as untraced",
    check: async (echo) => {
      const send = async (tracer: RecordingTracer | undefined) => {
        const body = new ReadableStream<Uint8Array>({
          start(controller) {
            for (const part of ['one ', 'two ', 'three']) {
              controller.enqueue(new TextEncoder().encode(part))
            }
            controller.close()
          },
        })
        const init = { method: 'POST', body, duplex: 'half' } as RequestInit
        const response = await fetchFor(tracer)(`${echo.url}/stream`, init)
        return ((await response.json()) as Echo).body
      }
      const { plain, traced, received } = await bothWays(echo, send)
      assert.equal(plain, 'one two three')
      assert.equal(traced, plain)
      assert.deepEqual(received[1]?.map(withoutTrace), received[0]?.map(withoutTrace))
    },
  },
  {
    name: 'fetch: the Response is the native one fetch returned, the rejection the one it threw',
    check: async (echo) => {
      const returned: Response[] = []
      const thrown: unknown[] = []
      const spy: typeof globalThis.fetch = (input, init) =>
        globalThis.fetch(input, init).then(
          (response) => (returned.push(response), response),
          (error: unknown) => {
            thrown.push(error)
            throw error
          },
        )
      const fetch = tracedFetch(spy, { tracer: new RecordingTracer() })
      const response = await fetch(`${echo.url}/native`)
      assert.ok(response instanceof globalThis.Response)
      assert.equal(response, returned[0])
      assert.equal(Object.getPrototypeOf(response), Response.prototype)
      await response.text()
      const error = await fetch(`${await closedPortUrl()}/x`).catch((failure: unknown) => failure)
      assert.equal(error, thrown[0])
    },
  },
]
