// The workout services as separate processes, each exporting OTLP/HTTP to a receiver this test
// runs on loopback: the spans must join into one trace across the three processes.
import assert from 'node:assert/strict'
import { spawn, type ChildProcess } from 'node:child_process'
import { once } from 'node:events'
import { after, before, describe, it } from 'node:test'
import { fileURLToPath } from 'node:url'
import { bodiesAt, startCollector, waitFor } from '../support/net.js'
import { decodeOtlp, type ReceivedSpan } from '../support/otlp.js'

const root = fileURLToPath(new URL('../..', import.meta.url))

describe('the workout services as separate processes', () => {
  const children: ChildProcess[] = []
  let receiver: Awaited<ReturnType<typeof startCollector>>

  const startService = async (name: string, env: Record<string, string>): Promise<string> => {
    // As the README says to run it: `node examples/workout/<service>`.
    const child = spawn(process.execPath, [`examples/workout/${name}`], {
      cwd: root,
      env: {
        ...process.env,
        ...env,
        HOST: '127.0.0.1',
        PORT: '0',
        TRACER: 'otlp',
        OTEL_EXPORTER_OTLP_ENDPOINT: receiver.url,
      },
      stdio: ['ignore', 'pipe', 'inherit'],
    })
    children.push(child)
    let output = ''
    child.stdout?.setEncoding('utf8').on('data', (chunk: string) => (output += chunk))
    await waitFor(() => /listening on (\S+)/.test(output), `${name} to listen`, 20_000)
    return (/listening on (\S+)/.exec(output) as RegExpExecArray)[1] as string
  }

  before(async () => {
    receiver = await startCollector()
    const storage = await startService('storage', {})
    const runController = await startService('run-controller', { STORAGE_URL: storage })
    const api = await startService('workout-api', {
      STORAGE_URL: storage,
      RUN_CONTROLLER_URL: runController,
    })
    const response = await fetch(`${api}/workouts`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({
        name: 'tempo',
        intervals: [
          { minutes: 20, pace: '5:00' },
          { minutes: 5, pace: '6:00' },
        ],
      }),
    })
    assert.equal(response.status, 201)
    for (const child of children) {
      child.kill('SIGTERM')
      await once(child, 'exit')
    }
  })
  after(async () => {
    for (const child of children) if (child.exitCode === null) child.kill('SIGKILL')
    await receiver.close()
  })

  it('should export one trace whose spans have the right parents across processes', async () => {
    const exported = () => bodiesAt(receiver.requests, '/v1/traces').flatMap(decodeOtlp)
    await waitFor(() => exported().length >= 12, 'the exported spans', 10_000)
    const spans: ReceivedSpan[] = exported()
    assert.equal(new Set(spans.map((span) => span.traceId)).size, 1)
    const byId = new Map(spans.map((span) => [span.spanId, span]))
    const parentOf = (span: ReceivedSpan) => byId.get(span.parentSpanId ?? '')
    const find = (service: string, name: string) =>
      spans.filter((span) => span.service === service && span.name === name)
    const [entry] = find('workout-api', 'POST /workouts')
    assert.ok(entry)
    assert.equal(parentOf(entry), undefined)
    const [runs] = find('run-controller', 'POST /runs')
    assert.equal(parentOf(runs!)?.service, 'workout-api')
    assert.equal(parentOf(parentOf(runs!)!)?.name, 'call downstream')
    const segments = find('storage', 'POST /runs/:runId/segments')
    assert.equal(segments.length, 2)
    for (const segment of segments) {
      const client = parentOf(segment)
      assert.equal(client?.service, 'run-controller')
      assert.equal(client?.scope, '@tracehop/fetch')
      assert.equal(parentOf(client), runs)
    }
    const [stored] = find('storage', 'PUT /workouts/:id')
    const putClient = parentOf(stored!)
    assert.equal(putClient?.scope, '@tracehop/axios')
    assert.equal(parentOf(putClient), entry)
  })
})
