// The workout services in-process, over real sockets: workout-api answers a client's mistake with
// its own 4xx (not as a failure), each caller sends a request again when the kept-alive connection
// it went out on was closed under it, storage keeps a segment sent twice once, and a service runs
// on its own only with a tracer that does not keep its spans in memory.
import assert from 'node:assert/strict'
import { execFile } from 'node:child_process'
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import type { IncomingMessage, RequestListener, ServerResponse } from 'node:http'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { after, describe, it } from 'node:test'
import { fileURLToPath } from 'node:url'
import { promisify } from 'node:util'
import { tracerFromEnv } from '@tracehop/example-tracers'
import { RecordingTracer } from '@tracehop/testing'
import { Tracer } from 'opentracing'
import { runControllerApp } from '../../examples/workout/src/run-controller.js'
import { storageApp } from '../../examples/workout/src/storage.js'
import { workoutApiApp } from '../../examples/workout/src/workout-api.js'
import { startServiceProcess } from '../support/load.js'
import {
  finishedSpans,
  listen,
  listenFastify,
  send,
  type Received,
  type RunningServer,
} from '../support/net.js'

const root = fileURLToPath(new URL('../..', import.meta.url))
const workout = JSON.stringify({ name: 'tempo', intervals: [{ minutes: 20, pace: '5:00' }] })
const json = { 'content-type': 'application/json' }

/**
 * `listener` behind a server that, once, closes a kept-alive connection as a request arrives on
 * it, without answering: what a server closing an idle connection does to a request the caller
 * wrote at that moment. `resets` counts those requests, `answered` the others.
 */
async function closingOnce(
  listener: RequestListener,
): Promise<RunningServer & { resets: number; answered: number }> {
  const seen = new WeakMap<object, number>()
  const stats = { resets: 0, answered: 0 }
  const server = await listen((req: IncomingMessage, res: ServerResponse) => {
    const count = (seen.get(req.socket) ?? 0) + 1
    seen.set(req.socket, count)
    if (count > 1 && stats.resets === 0) {
      stats.resets++
      req.socket.destroy()
      return
    }
    stats.answered++
    listener(req, res)
  })
  return {
    ...server,
    get resets() {
      return stats.resets
    },
    get answered() {
      return stats.answered
    },
  }
}

const runController: RequestListener = (req, res) => {
  req.resume()
  req.on('end', () => {
    res.writeHead(201, json)
    res.end(JSON.stringify({ runId: 'r-1', segments: 1 }))
  })
}

describe('workout-api', () => {
  const cleanup: Array<() => Promise<void>> = []
  after(async () => {
    for (const step of cleanup.reverse()) await step()
  })
  const start = async (storageUrl: string, runControllerUrl: string) => {
    const tracer = new RecordingTracer()
    const api = await listen(workoutApiApp(tracer, { storageUrl, runControllerUrl }))
    cleanup.push(() => api.close())
    return { tracer, api }
  }

  it("should answer a client's mistake with its 4xx, and not record it as an error", async () => {
    const downstream = await listen(runController)
    cleanup.push(() => downstream.close())
    const { tracer, api } = await start(downstream.url, downstream.url)
    const cases: Array<[string, Record<string, string>, string, number]> = [
      ['malformed JSON', json, '{"name": "tempo",', 400],
      ['a body too large', json, JSON.stringify({ name: 'x'.repeat(200_000) }), 413],
      ['an unsupported charset', { 'content-type': 'application/json; charset=latin1' }, '{}', 415],
      ['an unsupported encoding', { ...json, 'content-encoding': 'x-unknown' }, '{}', 415],
      ['an invalid workout', json, JSON.stringify({ name: 'no intervals' }), 400],
    ]
    for (const [what, headers, body, status] of cases) {
      const response = await send(`${api.url}/workouts`, { method: 'POST', headers, body })
      assert.equal(response.status, status, `${what}: ${response.body}`)
      assert.ok((JSON.parse(response.body) as { error?: unknown }).error, what)
    }
    const spans = await finishedSpans(tracer, cases.length + 1)
    const servers = spans.filter((span) => span.tags['span.kind'] === 'server')
    assert.deepEqual(
      servers.map((span) => [span.tags['http.status_code'], span.tags.error]),
      cases.map(([, , , status]) => [status, undefined]),
    )
  })

  it('should answer 502, recorded as an error, when a downstream call fails', async () => {
    const storage = await listen((_req, res) => {
      res.writeHead(400, json)
      res.end('{"error":"refused"}')
    })
    cleanup.push(() => storage.close())
    const { tracer, api } = await start(storage.url, storage.url)
    const response = await send(`${api.url}/workouts`, {
      method: 'POST',
      headers: json,
      body: workout,
    })
    // storage's 400 is workout-api's failure, not its caller's mistake.
    assert.equal(response.status, 502)
    const spans = await finishedSpans(tracer, 3)
    const server = spans.find((span) => span.tags['span.kind'] === 'server')!
    assert.equal(server.tags['http.status_code'], 502)
    assert.equal(server.tags.error, true)
  })

  for (const callee of ['storage', 'run-controller'] as const) {
    it(`should send a call again when ${callee} closed its kept-alive connection under it`, async () => {
      const plain = await listen(runController)
      const closing = await closingOnce(runController)
      cleanup.push(
        () => plain.close(),
        () => closing.close(),
      )
      const { tracer, api } = await start(
        callee === 'storage' ? closing.url : plain.url,
        callee === 'storage' ? plain.url : closing.url,
      )
      // The first request opens the connections the second reuses.
      for (let i = 0; i < 3; i++) {
        const response = await send(`${api.url}/workouts`, {
          method: 'POST',
          headers: json,
          body: workout,
        })
        assert.equal(response.status, 201, response.body)
      }
      assert.equal(closing.resets, 1)
      assert.equal(closing.answered, 3)
      // The attempt that was reset is a failed client span of its own.
      const spans = await finishedSpans(tracer, 3 * 5 + 1)
      const failed = spans.filter((span) => span.tags['span.kind'] === 'client' && span.tags.error)
      assert.equal(failed.length, 1)
    })
  }

  it('should not send a call again when a new connection was refused', async () => {
    const storage = await listen(runController)
    cleanup.push(() => storage.close())
    const closed = await listen(runController)
    await closed.close()
    const { api } = await start(storage.url, closed.url)
    const response = await send(`${api.url}/workouts`, {
      method: 'POST',
      headers: json,
      body: workout,
    })
    assert.equal(response.status, 502)
  })
})

describe('run-controller and storage', () => {
  it('should send a segment again when storage closed the connection under it, and store it once', async () => {
    const stored = storageApp(new RecordingTracer())
    const storage = await closingOnce(stored)
    const tracer = new RecordingTracer()
    const controller = await listenFastify(
      await runControllerApp(tracer, { storageUrl: storage.url, parallelWrites: false }),
    )
    try {
      const intervals = Array.from({ length: 4 }, () => ({ minutes: 3, pace: '4:30' }))
      const response = await send(`${controller.url}/runs`, {
        method: 'POST',
        headers: json,
        body: JSON.stringify({ workoutId: 'w-1', intervals }),
      })
      assert.equal(response.status, 201, response.body)
      assert.equal(storage.resets, 1)
      assert.equal(storage.answered, 4)
    } finally {
      await controller.close()
      await storage.close()
    }
  })

  it('should keep one segment per index when the same write arrives twice', async () => {
    const storage = await listen(storageApp(new RecordingTracer()))
    try {
      const stored = (response: Received) =>
        (JSON.parse(response.body) as { stored: number }).stored
      const write = (index: number) =>
        send(`${storage.url}/runs/r-1/segments`, {
          method: 'POST',
          headers: json,
          body: JSON.stringify({ index, minutes: 3, pace: '4:30' }),
        })
      assert.equal(stored(await write(0)), 1)
      assert.equal(stored(await write(0)), 1)
      assert.equal(stored(await write(1)), 2)
      const missing = await send(`${storage.url}/runs/r-1/segments`, {
        method: 'POST',
        headers: json,
        body: '{}',
      })
      assert.equal(missing.status, 400)
    } finally {
      await storage.close()
    }
  })
})

describe('a service run on its own', () => {
  it("should default to opentracing's no-op tracer, which keeps nothing", async () => {
    for (const env of [{}, { TRACER: '' }, { TRACER: 'none' }]) {
      const handle = tracerFromEnv('svc', env)
      assert.equal(handle.kind, 'none')
      assert.equal(handle.tracer.constructor, Tracer)
      await handle.close()
    }
  })

  it('should run untraced (TRACER=none) without TRACER', async () => {
    const service = await startServiceProcess('storage', { TRACER: '' })
    try {
      const response = await send(`${service.url}/workouts/w-1`, {
        method: 'PUT',
        headers: json,
        body: workout,
      })
      assert.equal(response.status, 201)
    } finally {
      service.signal('SIGTERM')
      assert.equal(await service.exited, 0, service.stderr())
    }
  })

  for (const kind of ['otel', 'otelshim', 'recording']) {
    it(`should refuse TRACER=${kind}, which keeps every span in memory`, async () => {
      await assert.rejects(
        startServiceProcess('storage', { TRACER: kind }),
        new RegExp(`TRACER=${kind} keeps every span in memory`),
      )
    })
  }

  it('should start from a path with a space in it (isMain)', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'tracehop with space-'))
    try {
      const probe = join(dir, 'probe.ts')
      const service = join(root, 'examples/workout/src/service.ts')
      writeFileSync(
        probe,
        `import { isMain } from ${JSON.stringify(service)}\n` +
          'console.log(isMain(import.meta.url), isMain(new URL("other.ts", import.meta.url).href))\n',
      )
      const { stdout } = await promisify(execFile)(process.execPath, ['--import', 'tsx', probe], {
        cwd: root,
        timeout: 30_000,
      })
      assert.equal(stdout.trim(), 'true false')
    } finally {
      rmSync(dir, { recursive: true, force: true })
    }
  })
})
