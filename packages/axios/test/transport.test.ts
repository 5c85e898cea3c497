// Which transport a call goes out through, as the tracer's own instrumentations see it: axios uses
// the first adapter of the list that the environment has ('xhr' needs XMLHttpRequest, which Node
// lacks), and a call over a transport the tracer instruments is left to it.
import assert from 'node:assert/strict'
import { AsyncLocalStorage } from 'node:async_hooks'
import { afterEach, beforeEach, describe, it } from 'node:test'
import { registerTracingInterceptor } from '@tracehop/axios'
import { setContextStore, type Transport } from '@tracehop/core/adapter'
import axios, { type AxiosRequestConfig } from 'axios'
import type { Span } from 'opentracing'
import { useEchoServer, type Echo } from '../../../test/support/echo-server.js'
import { useRecordingTracer } from '../../../test/support/recording-tracer.js'

describe('registerTracingInterceptor, with the adapter axios picks in Node', () => {
  const echo = useEchoServer()
  const recording = useRecordingTracer()

  // A tracer whose instrumentation covers undici only (OpenTelemetry's undici instrumentation
  // without its http one), and that sends no header of its own here.
  beforeEach(() => {
    echo.received.length = 0
    const storage = new AsyncLocalStorage<Span>()
    setContextStore({
      active: () => storage.getStore(),
      run: (span, fn) => storage.run(span, fn),
      tracesTransport: (transport: Transport) => transport === 'undici',
    })
  })
  afterEach(() => setContextStore(undefined))

  const adapters: Array<[string, AxiosRequestConfig['adapter'], 'undici' | 'http']> = [
    ["'fetch'", 'fetch', 'undici'],
    ["['fetch', 'http']", ['fetch', 'http'], 'undici'],
    ["['xhr', 'fetch', 'http']", ['xhr', 'fetch', 'http'], 'undici'],
    ["['FETCH', 'http']", ['FETCH', 'http'], 'undici'],
    ["axios's default, ['xhr', 'http', 'fetch']", undefined, 'http'],
    ["['http', 'fetch']", ['http', 'fetch'], 'http'],
    ["['xhr', 'http']", ['xhr', 'http'], 'http'],
  ]
  for (const [name, adapter, transport] of adapters) {
    it(`should see a call with adapter ${name} go out through ${transport}`, async () => {
      const instance = axios.create()
      const unregister = registerTracingInterceptor(instance, { tracer: recording.tracer })
      const response = await instance.get<Echo>(
        `${echo.url}/prices`,
        adapter === undefined ? {} : { adapter },
      )
      unregister()
      // undici's fetch sends the Fetch standard's sec-fetch-mode; Node's http module does not.
      const viaUndici = response.data.headers['sec-fetch-mode'] !== undefined
      assert.equal(viaUndici, transport === 'undici')
      const traced = transport === 'http'
      assert.equal(recording.tracer.finishedSpans().length, traced ? 1 : 0)
      assert.equal(response.data.headers.traceparent !== undefined, traced)
    })
  }

  it('should trace a call made through an adapter function itself', async () => {
    const instance = axios.create()
    const unregister = registerTracingInterceptor(instance, { tracer: recording.tracer })
    const fetchAdapter = axios.getAdapter('fetch')
    const response = await instance.get<Echo>(`${echo.url}/prices`, {
      adapter: [(config) => fetchAdapter(config), 'fetch'],
    })
    unregister()
    assert.equal(recording.tracer.finishedSpans().length, 1)
    assert.match(String(response.data.headers.traceparent), /^00-/)
  })
})
