// Examples are run as a newcomer would run them, so they never rot.
import assert from 'node:assert/strict'
import { execFile } from 'node:child_process'
import { describe, it } from 'node:test'
import { fileURLToPath } from 'node:url'
import { promisify } from 'node:util'

const run = promisify(execFile)
const root = fileURLToPath(new URL('../..', import.meta.url))

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
    assert.match(stdout, /\[400 error\]$/m)
    assert.match(stdout, /^GET \/api\/v1\/orders\/:id .*\[500 error\]$/m)
  })

  it('koa: a Koa service traced by the adapter written on @tracehop/core/adapter', async () => {
    const { stdout } = await run(
      process.execPath,
      ['--import', 'tsx', 'examples/koa/src/main.ts'],
      {
        timeout: 30_000,
        cwd: root,
      },
    )
    assert.match(stdout, /GET \/healthz → 200 \(x-trace-id: -\)/)
    assert.match(stdout, /POST \/api\/v1\/orders → 201 \(x-trace-id: [0-9a-f]{32}\)/)
    assert.match(stdout, /^POST \/api\/v1\/orders .*\n {2}validateOrder .*\[201\]$/m)
    assert.match(stdout, /^GET \/api\/v1\/orders\/:id .*\[500 error\]$/m)
  })

  for (const platform of ['express', 'fastify']) {
    it(`nestjs on ${platform}: the route template under the global prefix, the next hop a child`, async () => {
      // From its own folder, so tsx reads the example's tsconfig (Nest's decorators need it).
      const { stdout } = await run(process.execPath, ['--import', 'tsx', 'src/main.ts', platform], {
        timeout: 30_000,
        cwd: `${root}examples/nestjs`,
      })
      assert.match(
        stdout,
        /GET \/api\/items\/42 → 200 .*"traceId":"4bf92f3577b34da6a3ce929d0e0e4736"/,
      )
      assert.match(stdout, /GET \/api\/items\/missing → 404/)
      assert.match(stdout, /GET \/api\/items\/broken → 500/)
      assert.match(stdout, /inventory received traceparent 00-4bf92f3577b34da6a3ce929d0e0e4736-/)
      assert.match(stdout, new RegExp(`^${platform}:$`, 'm'))
      assert.match(stdout, /^GET \/api\/items\/:id .*\n {2}GET 127\.0\.0\.1:\d+ .*\[200\]$/m)
      assert.match(stdout, /^GET \/api\/items\/:id .*\n {2}GET 127\.0\.0\.1:\d+ .*\[500 error\]$/m)
    })
  }

  it('workout: the demo prints waterfalls, names the slow hop and the critical path', async () => {
    const { stdout } = await run(
      process.execPath,
      ['--import', 'tsx', 'examples/workout/src/demo.ts'],
      { timeout: 60_000, cwd: root },
    )
    assert.match(stdout, /POST \/workouts "intervals" → 201/)
    assert.match(stdout, /POST \/workouts \(invalid\) → 400/)
    assert.match(stdout, /^workout-api +POST \/workouts +[\d.]+ ms +\|█/m)
    assert.match(stdout, /^ {2}workout-api +validatePayload/m)
    assert.match(stdout, /^ {6}run-controller +POST \/runs/m)
    assert.match(stdout, /^ {10}storage +POST \/runs\/:runId\/segments/m)
    assert.match(
      stdout,
      /slowest span: run-controller POST \/runs \([\d.]+ ms, \d+% of the request\)/,
    )
    assert.match(stdout, /it makes 6 calls POST 127\.0\.0\.1:\d+ one after another/)
    assert.match(
      stdout,
      /critical path: workout-api POST \/workouts → .* → run-controller POST \/runs → .* → storage POST \/runs\/:runId\/segments/,
    )
    assert.match(stdout, /npm run demo -- --fix/)
  })

  it('workout: --fix shows the slow step fixed and the difference', async () => {
    const { stdout } = await run(
      process.execPath,
      ['--import', 'tsx', 'examples/workout/src/demo.ts', '--fix'],
      { timeout: 60_000, cwd: root },
    )
    assert.match(stdout, /=== fixed: run-controller stores segments in parallel ===/)
    const [, before, after] =
      /slowest request: ([\d.]+) ms as written, ([\d.]+) ms fixed/.exec(stdout) ?? []
    assert.ok(Number(after) < Number(before), `${after} ms fixed vs ${before} ms`)
  })
})
