import assert from 'node:assert/strict'
import { beforeEach, describe, it } from 'node:test'
import { withSpan } from '@tracehop/core'
import { registerTracingInterceptor } from '@tracehop/axios'
import { parseTraceParent, RecordingTracer } from '@tracehop/testing'
import axios, { AxiosError, AxiosHeaders, type InternalAxiosRequestConfig } from 'axios'
import { useEchoServer, type Echo } from '../../../test/support/echo-server.js'
import { useRecordingTracer } from '../../../test/support/recording-tracer.js'

describe('registerTracingInterceptor', () => {
  const echo = useEchoServer()
  const mirror = useEchoServer()
  const recording = useRecordingTracer()

  beforeEach(() => {
    echo.received.length = 0
    mirror.received.length = 0
  })

  it('should work on the default export and remove both interceptors when unregistered', async () => {
    const unregister = registerTracingInterceptor(axios, { tracer: recording.tracer })
    await axios.get(`${echo.url}/a`)
    unregister()
    unregister()
    await axios.get(`${echo.url}/b`)
    assert.equal(recording.tracer.spans().length, 1)
    assert.equal(echo.received[1]?.headers.traceparent, undefined)
  })

  it('should let user interceptors before and after it work on the same config', async () => {
    const instance = axios.create()
    const seen: Array<[string, InternalAxiosRequestConfig, unknown]> = []
    instance.interceptors.request.use((config) => {
      seen.push(['registered before (runs after)', config, config.headers.get('traceparent')])
      config.headers.set('x-before', '1')
      return config
    })
    const unregister = registerTracingInterceptor(instance, { tracer: recording.tracer })
    instance.interceptors.request.use((config) => {
      seen.push(['registered after (runs before)', config, config.headers.get('traceparent')])
      config.headers.set('x-after', '1')
      return config
    })
    const responses: unknown[] = []
    instance.interceptors.response.use((response) => {
      responses.push(response.config)
      return response
    })
    const response = await instance.get<Echo>(`${echo.url}/x`)
    unregister()
    assert.equal(seen.length, 2)
    assert.equal(seen[0]?.[1], seen[1]?.[1])
    assert.equal(responses[0], seen[0]?.[1])
    assert.equal(seen[0]?.[0], 'registered after (runs before)')
    assert.equal(seen[0]?.[2], undefined)
    assert.match(String(seen[1]?.[2]), /^00-/)
    assert.equal(response.data.headers['x-before'], '1')
    assert.equal(response.data.headers['x-after'], '1')
  })

  it("should leave another instance's open call alone when it re-sends a config of its own", async () => {
    const first = axios.create()
    const second = axios.create()
    const unregisterFirst = registerTracingInterceptor(first, { tracer: recording.tracer })
    const unregisterSecond = registerTracingInterceptor(second, { tracer: recording.tracer })
    // A token refresh's retry: the second instance's failed config, re-sent through the first.
    second.interceptors.response.use(undefined, (error: AxiosError) => {
      const config = error.config as InternalAxiosRequestConfig
      config.url = `${echo.url}/ok`
      return first.request(config)
    })
    const slow = first.get(`${echo.url}/slow`)
    await second.get(`${echo.url}/status/401`)
    await slow
    unregisterFirst()
    unregisterSecond()
    const byPath = Object.fromEntries(
      recording.tracer
        .finishedSpans()
        .map((span) => [new URL(String(span.tags['http.url'])).pathname, span.tags]),
    )
    assert.equal(byPath['/slow']?.['http.status_code'], 200)
    assert.equal(byPath['/slow']?.error, undefined)
    assert.equal(byPath['/status/401']?.['http.status_code'], 401)
    assert.equal(byPath['/ok']?.['http.status_code'], 200)
  })

  it('should honour a URL rewritten by an interceptor that runs after it', async () => {
    const instance = axios.create({ baseURL: echo.url })
    instance.interceptors.request.use((config) => {
      config.url = '/rewritten'
      config.params = { token: 'secret', page: 2 }
      return config
    })
    const unregister = registerTracingInterceptor(instance, { tracer: recording.tracer })
    await instance.get('/original')
    unregister()
    assert.equal(echo.received[0]?.url, '/rewritten?token=secret&page=2')
    const [span] = recording.tracer.finishedSpans()
    assert.equal(span?.tags['http.url'], `${echo.url}/rewritten?token=REDACTED&page=2`)
  })

  for (const order of ['after', 'before'] as const) {
    it(`should give each retry attempt its own span (retry interceptor registered ${order})`, async () => {
      const instance = axios.create()
      const retry = () =>
        instance.interceptors.response.use(undefined, async (error: AxiosError) => {
          const config = error.config as InternalAxiosRequestConfig & { attempt?: number }
          config.attempt = (config.attempt ?? 1) + 1
          if (config.attempt > 3) throw error
          return instance.request(config)
        })
      if (order === 'before') retry()
      const unregister = registerTracingInterceptor(instance, { tracer: recording.tracer })
      if (order === 'after') retry()
      const parent = recording.tracer.startSpan('handler')
      await assert.rejects(
        withSpan(parent, () => instance.get(`${echo.url}/status/503`)),
        (error: unknown) => error instanceof AxiosError && error.response?.status === 503,
      )
      parent.finish()
      unregister()
      const attempts = recording.tracer
        .finishedSpans()
        .filter((span) => span.tags['span.kind'] === 'client')
      assert.equal(attempts.length, 3)
      assert.equal(echo.received.length, 3)
      for (const span of attempts) {
        assert.equal(span.parentId, parent.spanId)
        assert.equal(span.tags.error, true)
      }
      const sentIds = echo.received.map((received) => {
        assert.equal(received.rawHeaders.filter((name) => /^traceparent$/i.test(name)).length, 1)
        return parseTraceParent(String(received.headers.traceparent))?.spanId
      })
      assert.equal(new Set(sentIds).size, 3)
    })
  }

  for (const order of ['after', 'before'] as const) {
    it(`should not send a failed attempt's trace headers to a mirror it fails over to (interceptor ${order})`, async () => {
      const instance = axios.create()
      // Fails over as a retry interceptor would: the same config, sent to another origin.
      const failOver = () =>
        instance.interceptors.response.use(undefined, async (error: AxiosError) => {
          const config = error.config as InternalAxiosRequestConfig & { failedOver?: boolean }
          if (config.failedOver === true) throw error
          config.failedOver = true
          config.url = `${mirror.url}/prices`
          return instance.request(config)
        })
      if (order === 'before') failOver()
      const options = { tracer: recording.tracer, propagate: echo.url }
      const unregister = registerTracingInterceptor(instance, options)
      if (order === 'after') failOver()
      // Calls before it, with other trace headers (no baggage), change nothing.
      for (let i = 0; i < 3; i++) await instance.get(`${echo.url}/before`)
      const parent = recording.tracer.startSpan('handler')
      parent.setBaggageItem('tenant', 'acme')
      const response = await withSpan(parent, () => instance.get(`${echo.url}/status/503`))
      parent.finish()
      unregister()
      assert.equal(response.status, 200)
      const failed = echo.received.at(-1)
      assert.ok(failed?.headers.traceparent, 'the allowed origin gets the trace')
      assert.ok(failed.headers.baggage, 'and the baggage')
      assert.equal(mirror.received.length, 1)
      assert.equal(mirror.received[0]?.headers.traceparent, undefined)
      assert.equal(mirror.received[0]?.headers.baggage, undefined)
    })
  }

  it('should not re-send the baggage of an earlier attempt that the retry has none of', async () => {
    const instance = axios.create()
    const unregister = registerTracingInterceptor(instance, { tracer: recording.tracer })
    const plain = recording.tracer.startSpan('retrier')
    instance.interceptors.response.use(undefined, async (error: AxiosError) => {
      const config = error.config as InternalAxiosRequestConfig & { retried?: boolean }
      if (config.retried === true) throw error
      config.retried = true
      config.url = `${echo.url}/ok`
      return withSpan(plain, () => instance.request(config))
    })
    const parent = recording.tracer.startSpan('handler')
    parent.setBaggageItem('tenant', 'acme')
    await withSpan(parent, () => instance.get(`${echo.url}/status/503`))
    unregister()
    parent.finish()
    plain.finish()
    const [first, retry] = echo.received
    assert.ok(first?.headers.baggage)
    assert.ok(retry?.headers.traceparent)
    assert.equal(retry.headers.baggage, undefined)
  })

  it('should leave a baggage header the app set itself on a call it does not propagate to', async () => {
    const instance = axios.create()
    const options = { tracer: recording.tracer, propagate: echo.url }
    const unregister = registerTracingInterceptor(instance, options)
    await instance.get(`${mirror.url}/own`, { headers: { baggage: 'app=set' } })
    unregister()
    assert.equal(mirror.received[0]?.headers.baggage, 'app=set')
    assert.equal(mirror.received[0]?.headers.traceparent, undefined)
  })

  it('should finish the span of a call cancelled through its CancelToken', async () => {
    const instance = axios.create()
    const unregister = registerTracingInterceptor(instance, { tracer: recording.tracer })
    const source = axios.CancelToken.source()
    const call = instance.get(`${echo.url}/slow`, { cancelToken: source.token })
    setTimeout(() => source.cancel('the user left'), 50)
    await assert.rejects(call, (error: unknown) => axios.isCancel(error))
    unregister()
    const [span] = recording.tracer.finishedSpans()
    assert.equal(span?.tags['http.aborted'], true)
    assert.equal(span?.tags.error, undefined, "a caller's cancel is no failure")
  })

  it('should finish the span of a call made with a CancelToken cancelled already', async () => {
    const instance = axios.create()
    const unregister = registerTracingInterceptor(instance, { tracer: recording.tracer })
    const source = axios.CancelToken.source()
    source.cancel('too late')
    for (let i = 0; i < 2; i++) {
      await assert.rejects(instance.get(`${echo.url}/late`, { cancelToken: source.token }))
    }
    unregister()
    const spans = recording.tracer.finishedSpans()
    assert.deepEqual(
      spans.map((span) => span.tags['http.aborted']),
      [true, true],
    )
    assert.equal(echo.received.length, 0)
  })

  it('should leave the trace headers it sent on the config axios gives back', async () => {
    const instance = axios.create()
    const unregister = registerTracingInterceptor(instance, { tracer: recording.tracer })
    const response = await instance.get(`${echo.url}/ok`)
    const failure = await instance.get(`${echo.url}/status/500`).catch((error: unknown) => error)
    unregister()
    const sent = echo.received.map((received) => received.headers.traceparent)
    assert.equal(response.config.headers.traceparent, sent[0])
    assert.ok(failure instanceof AxiosError)
    assert.equal(failure.config?.headers.traceparent, sent[1])
  })

  it('should listen once on a CancelToken many calls share, whatever became of them', async () => {
    const instance = axios.create()
    const unregister = registerTracingInterceptor(instance, { tracer: recording.tracer })
    const source = axios.CancelToken.source()
    const token = source.token
    let listening = 0
    const subscribe = token.subscribe.bind(token)
    const unsubscribe = token.unsubscribe.bind(token)
    token.subscribe = (listener) => {
      listening += 1
      subscribe(listener)
    }
    token.unsubscribe = (listener) => {
      listening -= 1
      unsubscribe(listener)
    }
    // A body that cannot be serialised fails the call before it goes out, with no config.
    const cyclic: Record<string, unknown> = {}
    cyclic.self = cyclic
    for (let i = 0; i < 20; i++) {
      await instance.get(`${echo.url}/ok`, { cancelToken: token })
      await instance.post(`${echo.url}/body`, cyclic, { cancelToken: token }).catch(() => undefined)
    }
    unregister()
    assert.equal(listening, 1)
  })

  it('should record the status of a rejected response as the failure and rethrow the very AxiosError', async () => {
    const instance = axios.create()
    let thrownByAxios: unknown
    instance.interceptors.response.use(undefined, (error: AxiosError) => {
      thrownByAxios = error
      return Promise.reject(error)
    })
    const unregister = registerTracingInterceptor(instance, { tracer: recording.tracer })
    const caught = await instance.get(`${echo.url}/status/500`).catch((error: unknown) => error)
    unregister()
    assert.equal(caught, thrownByAxios)
    const [span] = recording.tracer.finishedSpans()
    assert.equal(span?.tags['http.status_code'], 500)
    // The status is the failure, as with fetch: axios's AxiosError for it is no transport error.
    assert.deepEqual(span?.logs[0]?.fields, {
      event: 'error',
      'error.kind': 'HTTPStatus',
      message: 'HTTP status 500',
    })
  })

  it('should leave an AxiosHeaders object the caller reuses untouched', async () => {
    const instance = axios.create()
    const unregister = registerTracingInterceptor(instance, { tracer: recording.tracer })
    const shared = new AxiosHeaders({ 'x-shared': 'yes' })
    for (let i = 0; i < 20; i++) await instance.get(`${echo.url}/${i}`, { headers: shared })
    unregister()
    assert.deepEqual({ ...shared.toJSON() }, { 'x-shared': 'yes' })
    const ids = echo.received.map((received) => String(received.headers.traceparent))
    assert.equal(new Set(ids).size, 20)
  })

  it('should trace only calls inside a span with requireParent', async () => {
    const instance = axios.create()
    const unregister = registerTracingInterceptor(instance, {
      tracer: recording.tracer,
      requireParent: true,
    })
    await instance.get(`${echo.url}/outside`)
    const parent = recording.tracer.startSpan('handler')
    await withSpan(parent, () => instance.get(`${echo.url}/inside`))
    parent.finish()
    unregister()
    assert.equal(echo.received[0]?.headers.traceparent, undefined)
    assert.deepEqual(
      recording.tracer.finishedSpans().map((span) => span.operationName),
      [`GET 127.0.0.1:${echo.port}`, 'handler'],
    )
  })

  it('should still trace a call whose headers an interceptor running before it removed or froze', async () => {
    for (const headers of [undefined, Object.freeze({ 'x-frozen': 'yes' })]) {
      const instance = axios.create()
      const unregister = registerTracingInterceptor(instance, { tracer: recording.tracer })
      // Registered after tracehop's, so it runs before it.
      instance.interceptors.request.use((config) => {
        ;(config as { headers: unknown }).headers = headers
        return config
      })
      const response = await instance.get<Echo>(`${echo.url}/headers`)
      unregister()
      assert.equal(response.status, 200)
      if (headers !== undefined) assert.equal(response.data.headers['x-frozen'], 'yes')
      assert.match(String(response.data.headers.traceparent), /^00-/)
    }
    assert.equal(recording.tracer.finishedSpans().length, 2)
  })

  it('should finish the span of a config another interceptor copied', async () => {
    const instance = axios.create()
    instance.interceptors.request.use((config) => ({ ...config }))
    const options = { tracer: recording.tracer, propagate: echo.url }
    const unregister = registerTracingInterceptor(instance, options)
    await instance.get(`${echo.url}/copied`)
    // No trace headers to find it by: an origin it does not propagate to.
    await instance.get(`${mirror.url}/copied`)
    unregister()
    const statuses = recording.tracer.finishedSpans().map((span) => span.tags['http.status_code'])
    assert.deepEqual(statuses, [200, 200])
  })

  it('should send a call whose config an interceptor froze, or that carries an odd mark', async () => {
    const instance = axios.create()
    // Its own tracer: the frozen call's span is not finished here (see below).
    const tracer = new RecordingTracer()
    const unregister = registerTracingInterceptor(instance, { tracer })
    await instance.get(`${echo.url}/marked`, { tracehop: null } as Record<string, unknown>)
    // Registered after tracehop's, it runs before it, as axios runs request interceptors.
    instance.interceptors.request.use((config) => Object.freeze({ ...config }))
    const frozen = await instance.get(`${echo.url}/frozen`)
    unregister()
    assert.equal(frozen.status, 200)
    assert.equal(echo.received.length, 2)
    assert.ok(echo.received.every((received) => received.headers.traceparent !== undefined))
    // axios answers a frozen config with a copy that carries nothing to find the call by: its
    // span is given up on later, as a lost result's is.
    const statuses = tracer.finishedSpans().map((span) => span.tags['http.status_code'])
    assert.deepEqual(statuses, [200])
  })
})
