// Examples are run as a newcomer would run them, so they never rot.
import assert from 'node:assert/strict'
import { execFile } from 'node:child_process'
import { describe, it } from 'node:test'
import { fileURLToPath } from 'node:url'
import { promisify } from 'node:util'

const run = promisify(execFile)
const root = fileURLToPath(new URL('..', import.meta.url))

describe('examples', () => {
  it('two-services: the demo prints one waterfall per request and exits', async () => {
    const { stdout } = await run(
      process.execPath,
      ['--import', 'tsx', 'examples/two-services/src/demo.ts'],
      { timeout: 30_000, cwd: root },
    )
    assert.match(stdout, /GET \/carts\/c-2\/total → 200/)
    const traces = stdout.split('\ntrace ').slice(1)
    assert.equal(traces.length, 2)
    for (const trace of traces) {
      assert.match(trace, /^checkout: GET \/carts\/:cart\/total +[\d.]+ ms +\|█/m)
      assert.match(trace, /^ {2}checkout: GET 127\.0\.0\.1:\d+ +[\d.]+ ms/m)
      assert.match(trace, /^ {4}inventory: GET \/items\/:sku +[\d.]+ ms/m)
      assert.match(trace, /^ {2}checkout: computeTotal/m)
      assert.match(trace, /slowest hop: /)
    }
  })

  it('fastify-service: prefixed routes, a parsed body and errors, traced', async () => {
    const { stdout } = await run(
      process.execPath,
      ['--import', 'tsx', 'examples/fastify-service/src/main.ts'],
      { timeout: 30_000, cwd: root },
    )
    assert.match(stdout, /GET \/healthz → 200 \(x-trace-id: -\)/)
    assert.match(stdout, /POST \/api\/v1\/orders → 201 \(x-trace-id: [0-9a-f]{32}\)/)
    assert.match(stdout, /^POST \/api\/v1\/orders .*\n {2}validateOrder .*\[201\]$/m)
    assert.match(stdout, /\[400\]$/m)
    assert.match(stdout, /^GET \/api\/v1\/orders\/:id .*\[500 error\]$/m)
  })
})
