// Finish exactly once, client side: every attempt's span finished exactly once, by the time the
// call settles, whatever ends it: an abort before or after the response headers, a timeout, a
// refused connection, a DNS failure, a 4xx or 5xx, an axios validateStatus rejection, a request
// interceptor that throws, an axios-retry style retry of the same config, a fetch Request with
// init, a streamed fetch body, a cancelled response body. 200 iterations per case, 20 at a time.
// The error tag follows the client rule: a status >= 400 or a network failure is an error, a
// timeout is one too (tagged `http.timeout`), an abort is `http.aborted` and not an error; the
// error the caller gets is the very object logged, but for an error status, logged as the status.
import assert from 'node:assert/strict'
import { after, before, describe, it } from 'node:test'
import { closedPortUrl, useEchoServer } from '../support/echo-server.js'
import { trapEscapes } from '../support/escapes.js'
import { listen, type RunningServer } from '../support/net.js'
import { FINISH_BOUND_MS, StartTagTracer, repeat, settled } from './support/lifecycle.js'
import { axiosCases, fetchCases } from './scenarios/lifecycle-clients.js'

const ADAPTERS = [
  ['axios', axiosCases],
  ['fetch', fetchCases],
] as const

for (const [adapter, cases] of ADAPTERS) {
  describe(`${adapter} finishes every attempt's span exactly once`, () => {
    const escaped = trapEscapes()
    const tracer = new StartTagTracer()
    const echo = useEchoServer()
    let hang: RunningServer | undefined
    let refused: string | undefined
    before(async () => {
      hang = await listen((_req, res) => res.writeHead(200).write('first'))
      refused = await closedPortUrl()
    })
    after(() => hang?.close())
    const targets = { echo, hang: () => hang!.url, refused: () => refused! }

    for (const testCase of cases(tracer, targets)) {
      it(testCase.name, async () => {
        tracer.reset()
        echo.received.length = 0
        const { iterations, concurrency } = testCase
        const results = await repeat((n) => testCase.run(n), iterations, concurrency)
        await settled(tracer)
        results.forEach((result, n) => {
          const spans = tracer.spansOf(n)
          assert.equal(spans.length, testCase.spans ?? 1, `iteration ${n}: spans`)
          for (const span of spans) {
            const late = (span.finishTime ?? Infinity) - result.settledAt
            assert.ok(late <= FINISH_BOUND_MS, `iteration ${n}: finished ${late} ms after`)
          }
          testCase.check(spans, result, n)
        })
        assert.deepEqual(escaped, [])
      })
    }
  })
}
