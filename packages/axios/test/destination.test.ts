// Where the trace headers go when a request interceptor that runs after tracehop's (one registered
// before it, as axios orders them) changes the call's URL: decided again at dispatch.
import assert from 'node:assert/strict'
import { beforeEach, describe, it } from 'node:test'
import { withSpan } from '@tracehop/core'
import { registerTracingInterceptor } from '@tracehop/axios'
import axios, { type AxiosRequestConfig, type InternalAxiosRequestConfig } from 'axios'
import { useEchoServer } from '../../../test/support/echo-server.js'
import { useRecordingTracer } from '../../../test/support/recording-tracer.js'

describe('registerTracingInterceptor, at dispatch', () => {
  const echo = useEchoServer()
  const mirror = useEchoServer()
  const recording = useRecordingTracer()

  beforeEach(() => {
    echo.received.length = 0
    mirror.received.length = 0
  })

  const carriesTrace = (headers: Record<string, unknown> | undefined) =>
    Object.keys(headers ?? {}).some((name) => /^(traceparent|tracestate|baggage)$/.test(name))

  // Runs after tracehop's interceptor when registered before it.
  const sendToMirror = (config: InternalAxiosRequestConfig) => {
    config.baseURL = mirror.url
    return config
  }

  // The request's own transformRequest replaces the instance's (axios does not merge them).
  const requestTransforms: Array<[string, AxiosRequestConfig]> = [
    ["the instance's transformRequest", {}],
    ['a transformRequest list of its own', { transformRequest: [(data: unknown) => data] }],
    ['a transformRequest function of its own', { transformRequest: (data: unknown) => data }],
    ['an empty transformRequest', { transformRequest: [] }],
  ]
  for (const [name, requestConfig] of requestTransforms) {
    it(`should send no trace header to an origin propagate does not allow that a later interceptor sends the call to (${name})`, async () => {
      const instance = axios.create({ baseURL: echo.url })
      instance.interceptors.request.use(sendToMirror)
      const options = { tracer: recording.tracer, propagate: echo.url }
      const unregister = registerTracingInterceptor(instance, options)
      const parent = recording.tracer.startSpan('handler')
      parent.setBaggageItem('tenant', 'acme')
      const response = await withSpan(parent, () =>
        instance.get('/prices', { ...requestConfig, headers: { 'x-app': 'kept' } }),
      )
      parent.finish()
      unregister()
      assert.equal(echo.received.length, 0)
      const received = mirror.received[0]
      assert.equal(carriesTrace(received?.headers), false)
      assert.equal(received?.headers['x-app'], 'kept', "the app's own headers stay")
      assert.deepEqual(
        { ...(response.config as { tracehop?: { sent: object } }).tracehop?.sent },
        {},
      )
      const [span] = recording.tracer.finishedSpans()
      assert.equal(span?.tags['http.url'], `${mirror.url}/prices`)
    })
  }

  it('should keep the trace headers of a call sent on to an origin propagate allows too', async () => {
    const instance = axios.create({ baseURL: echo.url })
    instance.interceptors.request.use(sendToMirror)
    const options = { tracer: recording.tracer, propagate: [echo.url, mirror.url] }
    const unregister = registerTracingInterceptor(instance, options)
    await instance.get('/prices')
    unregister()
    assert.match(String(mirror.received[0]?.headers.traceparent), /^00-/)
  })

  it("should put the instance's transformRequest list back when unregistered", () => {
    const instance = axios.create()
    const { transformRequest } = instance.defaults
    registerTracingInterceptor(instance, { tracer: recording.tracer })()
    assert.equal(instance.defaults.transformRequest, transformRequest)
    // A transform the app adds to the hooked list stays; only tracehop's hook goes.
    const unregister = registerTracingInterceptor(instance, { tracer: recording.tracer })
    const added = (data: unknown) => data
    ;(instance.defaults.transformRequest as unknown[]).push(added)
    unregister()
    assert.deepEqual(instance.defaults.transformRequest, [
      ...(transformRequest as unknown[]),
      added,
    ])
  })
})
