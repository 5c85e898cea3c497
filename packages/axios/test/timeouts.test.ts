// How a call that times out ends its span, however axios words the timeout.
import assert from 'node:assert/strict'
import { beforeEach, describe, it } from 'node:test'
import { registerTracingInterceptor } from '@tracehop/axios'
import axios, { AxiosError, type AxiosRequestConfig } from 'axios'
import { useEchoServer } from '../../../test/support/echo-server.js'
import { useRecordingTracer } from '../../../test/support/recording-tracer.js'

describe('registerTracingInterceptor, timeouts', () => {
  const echo = useEchoServer()
  const recording = useRecordingTracer()

  beforeEach(() => {
    echo.received.length = 0
  })

  const timeouts: Array<[string, AxiosRequestConfig]> = [
    ['ECONNABORTED', { timeoutErrorMessage: 'the orders service took too long' }],
    [
      'ETIMEDOUT, with clarifyTimeoutError',
      {
        timeoutErrorMessage: 'the orders service took too long',
        transitional: { clarifyTimeoutError: true },
      },
    ],
  ]
  for (const [code, timeoutConfig] of timeouts) {
    it(`should record a timeout worded by the config's timeoutErrorMessage as a timeout (${code})`, async () => {
      const instance = axios.create()
      const unregister = registerTracingInterceptor(instance, { tracer: recording.tracer })
      const call = instance.get(`${echo.url}/slow`, { timeout: 50, ...timeoutConfig })
      const caught = await call.catch((e: unknown) => e)
      unregister()
      assert.ok(caught instanceof AxiosError)
      assert.equal(caught.code, code.split(',')[0])
      assert.equal(caught.message, 'the orders service took too long')
      const [span] = recording.tracer.finishedSpans()
      assert.equal(span?.tags['http.timeout'], true)
      assert.equal(span.tags.error, true)
    })
  }
})
