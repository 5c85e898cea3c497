// Calls whose result another interceptor hid from tracehop's are given up on after 10 minutes,
// and only those: a call that is merely slow (a large upload, a long download) keeps its span
// open until its own result arrives.
import assert from 'node:assert/strict'
import { afterEach, beforeEach, describe, it, mock } from 'node:test'
import { registerTracingInterceptor } from '@tracehop/axios'
import axios, { type AxiosInstance, type AxiosResponse } from 'axios'
import { useEchoServer } from '../../../test/support/echo-server.js'
import { waitFor } from '../../../test/support/net.js'
import { useRecordingTracer } from '../../../test/support/recording-tracer.js'

const ELEVEN_MINUTES = 11 * 60_000
const ONE_HOUR = 60 * 60_000

describe('registerTracingInterceptor, results that never reach it', () => {
  const echo = useEchoServer()
  const recording = useRecordingTracer()
  let instance: AxiosInstance
  let unregister: () => void

  beforeEach(() => {
    echo.received.length = 0
    mock.timers.enable({ apis: ['Date'], now: Date.now() })
    instance = axios.create()
    // Registered first, so it runs before tracehop's: it answers `/hidden` with a plain error,
    // which carries no config to tell which call it ended.
    instance.interceptors.response.use((response) => {
      if (response.config.url?.endsWith('/hidden')) throw new Error('hidden from tracing')
      return response
    })
    unregister = registerTracingInterceptor(instance, { tracer: recording.tracer })
  })
  afterEach(() => {
    unregister()
    mock.timers.reset()
  })

  const spanOf = (path: string) =>
    recording.tracer.finishedSpans().find((span) => span.tags['http.url'] === `${echo.url}${path}`)

  it('should finish, as lost, a call whose result was hidden, when a call starts 10 minutes later', async () => {
    await assert.rejects(instance.get(`${echo.url}/hidden`), /hidden from tracing/)
    assert.equal(spanOf('/hidden'), undefined, 'open: its result never came')
    await instance.get(`${echo.url}/soon`)
    assert.equal(spanOf('/hidden'), undefined, 'not given up on before 10 minutes')
    mock.timers.tick(ELEVEN_MINUTES)
    await instance.get(`${echo.url}/later`)
    const lost = spanOf('/hidden')
    assert.equal(lost?.tags.error, true)
    assert.match(String(lost.tags['error.message']), /never reached the tracing interceptor/)
  })

  it('should keep a slow call open past 10 minutes when no result went missing', async () => {
    const slow = instance.get(`${echo.url}/slow`)
    await instance.get(`${echo.url}/first`)
    mock.timers.tick(ELEVEN_MINUTES)
    await instance.get(`${echo.url}/second`)
    assert.equal((await slow).status, 200)
    const span = spanOf('/slow')
    assert.equal(span?.tags['http.status_code'], 200)
    assert.equal(span.tags.error, undefined)
  })

  it('should keep open a call started after the last result that went missing', async () => {
    await assert.rejects(instance.get(`${echo.url}/hidden`), /hidden from tracing/)
    mock.timers.tick(1)
    const slow = instance.get(`${echo.url}/slow`)
    // axios runs its request interceptors on a promise: the call's span starts by then.
    await new Promise((resolve) => setImmediate(resolve))
    mock.timers.tick(ELEVEN_MINUTES)
    await instance.get(`${echo.url}/later`)
    assert.equal(spanOf('/hidden')?.tags.error, true)
    assert.equal((await slow).status, 200)
    assert.equal(spanOf('/slow')?.tags['http.status_code'], 200)
    assert.equal(spanOf('/slow')?.tags.error, undefined)
  })

  it('should finish, as lost, a call an interceptor never settles, when a call starts an hour later', async () => {
    const stuck = axios.create()
    // As an app that sends the user to its login screen on a 401 does: the call never settles.
    stuck.interceptors.response.use((response) =>
      response.config.url?.endsWith('/account') ? new Promise<never>(() => undefined) : response,
    )
    const unregisterStuck = registerTracingInterceptor(stuck, { tracer: recording.tracer })
    try {
      void stuck.get(`${echo.url}/account`)
      await waitFor(() => echo.received.length === 1, 'the call sent')
      mock.timers.tick(ELEVEN_MINUTES)
      await stuck.get(`${echo.url}/later`)
      assert.equal(spanOf('/account'), undefined, 'open: no result it knows of went missing')
      mock.timers.tick(ONE_HOUR)
      await stuck.get(`${echo.url}/an-hour-later`)
      assert.match(String(spanOf('/account')?.tags['error.message']), /never reached/)
    } finally {
      unregisterStuck()
    }
  })

  it('should pass on whatever an earlier interceptor answered instead of the response', async () => {
    // As `(response) => response.data` does for a JSON body of `null`.
    const other = axios.create()
    other.interceptors.response.use((response) =>
      response.config.url?.endsWith('/null') ? (null as unknown as AxiosResponse) : response,
    )
    const unregisterOther = registerTracingInterceptor(other, { tracer: recording.tracer })
    try {
      assert.equal(await other.get(`${echo.url}/null`), null)
      // The span's result went missing with it: given up on 10 minutes on, as lost.
      mock.timers.tick(ELEVEN_MINUTES)
      await other.get(`${echo.url}/later`)
      assert.equal(spanOf('/null')?.tags.error, true)
    } finally {
      unregisterOther()
    }
  })
})
