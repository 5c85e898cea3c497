// SIGTERM to a traced service under concurrent load, as Kubernetes sends it. The service's
// downstream is a stub on loopback that notes the trace of every call it gets, so the test knows
// which requests the service had begun: each of those must be answered (none cut short), and
// each answered request's server span must be at a real backend (OTLP/HTTP, or jaeger-client's
// HTTP sender) once the process has exited, with code 0.
import assert from 'node:assert/strict'
import { once } from 'node:events'
import type { IncomingHttpHeaders } from 'node:http'
import net from 'node:net'
import { after, describe, it } from 'node:test'
import { setTimeout as sleep } from 'node:timers/promises'
import {
  sendLoad,
  startServiceProcess,
  uberTraceId,
  type Sent,
  type ServiceProcess,
} from '../support/load.js'
import { listen, startCollector, type RunningServer } from '../support/net.js'
import { startOtlpReceiver } from '../support/otlp.js'
import { decodeBatch, thrift } from '../vendors/support/jaeger-backend.js'

const CONCURRENCY = 100
/** SIGTERM once this many requests were answered: the service is then busy with CONCURRENCY. */
const ANSWERED_BEFORE_SIGNAL = 300
/** How long each downstream call takes: a request spends most of its life waiting on them. */
const DOWNSTREAM_MS = 40

// jaeger-client writes trace ids without leading zeros.
const normal = (traceId: string) => traceId.replace(/^0+/, '')

/** Storage and run-controller in one stub, noting the trace of every call. */
async function startDownstream(): Promise<RunningServer & { began: Set<string> }> {
  const began = new Set<string>()
  const traceOf = (headers: IncomingHttpHeaders) => {
    const header = headers.traceparent ?? headers['uber-trace-id']
    const id = typeof header === 'string' ? /^(?:00-)?([0-9a-f]+)[-:]/.exec(header)?.[1] : undefined
    if (id !== undefined) began.add(normal(id))
  }
  const server = await listen((req, res) => {
    traceOf(req.headers)
    req.resume()
    req.on('end', () => {
      void sleep(DOWNSTREAM_MS).then(() => {
        res.writeHead(201, { 'content-type': 'application/json' })
        res.end(JSON.stringify({ runId: 'r-1', segments: 1 }))
      })
    })
  })
  return { ...server, began }
}

/** Loads `service` with POST `path` and sends SIGTERM midway; resolves once it has exited. */
async function terminateUnderLoad(
  service: ServiceProcess,
  path: string,
  traceHeaders?: typeof uberTraceId,
): Promise<{ sent: Sent[]; signalledAt: number; exitCode: number | null }> {
  let answered = 0
  let signalledAt = 0
  const sent = await sendLoad({
    url: () => `${service.url}${path}`,
    method: 'POST',
    body: JSON.stringify({ name: 'tempo', intervals: [{ minutes: 20, pace: '5:00' }] }),
    ...(traceHeaders === undefined ? {} : { traceHeaders }),
    concurrency: CONCURRENCY,
    total: 5000,
    timeLimitMs: 20_000,
    // After the signal a connection gets at most one more answer, then it is closed or refused.
    stopOnError: true,
    stop: () => {
      if (++answered === ANSWERED_BEFORE_SIGNAL) {
        signalledAt = Date.now()
        service.signal('SIGTERM')
      }
      return false
    },
  })
  return { sent, signalledAt, exitCode: await service.exited }
}

/** What the backend holds for one server span. */
interface Arrived {
  traceId: string
  aborted: boolean
}

function assertNothingLost(
  { sent, signalledAt, exitCode }: Awaited<ReturnType<typeof terminateUnderLoad>>,
  began: Set<string>,
  arrived: Arrived[],
  service: ServiceProcess,
): void {
  assert.equal(exitCode, 0, service.stderr())
  assert.equal(service.stderr(), '')
  assert.ok(signalledAt > 0, 'SIGTERM sent')
  const answered = sent.filter((request) => request.status !== undefined)
  assert.ok(
    answered.every((request) => request.status === 201),
    'every answer a success',
  )
  const answeredIds = new Set(answered.map((request) => normal(request.traceId)))
  const cut = [...began].filter((id) => !answeredIds.has(id))
  assert.equal(cut.length, 0, `${cut.length} of ${began.size} requests begun were never answered`)
  const late = answered.filter((request) => request.answeredAt! > signalledAt)
  assert.ok(late.length >= CONCURRENCY / 2, `${late.length} answered after SIGTERM`)
  const spans = new Set(arrived.map((span) => normal(span.traceId)))
  const missing = answered.filter((request) => !spans.has(normal(request.traceId)))
  assert.equal(missing.length, 0, `${missing.length} of ${answered.length} answered: no span`)
  assert.equal(arrived.length, answered.length, 'one span per answered request')
  assert.deepEqual(
    arrived.filter((span) => span.aborted),
    [],
  )
}

/**
 * A Service as kube-proxy makes one: each new connection goes to the pod `route()` names, and
 * stays with it (a kept-alive connection outlives the pod's removal from the Service). A pod's
 * reset reaches the caller as a reset.
 */
async function startBalancer(route: () => string): Promise<RunningServer> {
  const server = net.createServer((client) => {
    const { hostname, port } = new URL(route())
    const pod = net.connect(Number(port), hostname)
    client.pipe(pod).pipe(client)
    pod.on('error', () => client.resetAndDestroy())
    client.on('error', () => pod.resetAndDestroy())
    pod.on('close', () => client.destroy())
    client.on('close', () => pod.destroy())
  })
  server.listen(0, '127.0.0.1')
  await once(server, 'listening')
  const { port } = server.address() as net.AddressInfo
  return {
    url: `http://127.0.0.1:${port}`,
    port,
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  }
}

describe('SIGTERM under load', () => {
  const cleanup: Array<() => unknown> = []
  after(async () => {
    for (const step of cleanup.reverse()) await step()
  })
  const start = async (name: string, env: Record<string, string>) => {
    const downstream = await startDownstream()
    cleanup.push(() => downstream.close())
    const service = await startServiceProcess(name, {
      STORAGE_URL: downstream.url,
      RUN_CONTROLLER_URL: downstream.url,
      ...env,
    })
    cleanup.push(() => service.kill())
    return { downstream, service }
  }
  const hasAborted = (span: { attributes?: Array<{ key: string }> }) =>
    span.attributes?.some((attribute) => attribute.key === 'http.aborted') ?? false

  for (const [name, path, operation] of [
    ['workout-api', '/workouts', 'POST /workouts'],
    ['run-controller', '/runs', 'POST /runs'],
  ] as const) {
    it(`${name}, OTLP/HTTP: requests in flight finish, and every answer has its span`, async () => {
      const receiver = await startOtlpReceiver()
      cleanup.push(() => receiver.close())
      const { downstream, service } = await start(name, {
        TRACER: 'otlp',
        OTEL_EXPORTER_OTLP_ENDPOINT: receiver.url,
      })
      const result = await terminateUnderLoad(service, path)
      const arrived = receiver.spans
        .filter((span) => span.name === operation)
        .map((span) => ({ traceId: span.traceId, aborted: hasAborted(span) }))
      assertNothingLost(result, downstream.began, arrived, service)
    })
  }

  // The other side of a rollout: the callers of the pod being stopped. A call they write on a
  // kept-alive connection as the pod closes it is reset unanswered; they send it again.
  for (const [callee, caller, path] of [
    ['run-controller', 'workout-api', '/workouts'],
    ['storage', 'run-controller', '/runs'],
  ] as const) {
    const name = `${callee} rolled out under ${caller}'s calls: every call answered, none lost`
    it(name, { timeout: 60_000 }, async () => {
      const downstream = await startDownstream()
      cleanup.push(() => downstream.close())
      let target = ''
      const balancer = await startBalancer(() => target)
      cleanup.push(() => balancer.close())
      const pod = () => startServiceProcess(callee, { STORAGE_URL: downstream.url, TRACER: '' })
      const [old, next, service] = await Promise.all([
        pod(),
        pod(),
        startServiceProcess(caller, {
          STORAGE_URL: callee === 'storage' ? balancer.url : downstream.url,
          RUN_CONTROLLER_URL: balancer.url,
          TRACER: '',
        }),
      ])
      cleanup.push(
        () => old.kill(),
        () => next.kill(),
        () => service.kill(),
      )
      target = old.url
      let answered = 0
      let signalledAt = Infinity
      let oldExited = false
      void old.exited.then(() => (oldExited = true))
      const sent = await sendLoad({
        url: () => `${service.url}${path}`,
        method: 'POST',
        body: JSON.stringify({ name: 'tempo', intervals: [{ minutes: 20, pace: '5:00' }] }),
        concurrency: CONCURRENCY,
        total: 20_000,
        timeLimitMs: 20_000,
        stop: () => {
          // As Kubernetes does: the pod leaves the Service (new connections go to the next one),
          // its preStop sleep lets callers notice, then SIGTERM.
          if (++answered === ANSWERED_BEFORE_SIGNAL) {
            target = next.url
            setTimeout(() => {
              signalledAt = Date.now()
              old.signal('SIGTERM')
            }, 200)
          }
          return oldExited
        },
      })
      assert.equal(await old.exited, 0, old.stderr())
      const failed = sent.filter((request) => request.status !== 201)
      assert.deepEqual(
        failed.slice(0, 5).map((request) => request.error ?? request.status),
        [],
        `${failed.length} of ${sent.length} calls failed`,
      )
      // Calls went on all through the pod's shutdown.
      const late = sent.filter((request) => request.sentAt > signalledAt)
      assert.ok(late.length >= CONCURRENCY, `${late.length} calls sent after SIGTERM`)
    })
  }

  it("workout-api, jaeger-client's HTTP sender: in flight finish, every answer has its span", async () => {
    const collector = await startCollector()
    cleanup.push(() => collector.close())
    const { downstream, service } = await start('workout-api', {
      TRACER: 'jaeger',
      JAEGER_ENDPOINT: `${collector.url}/api/traces`,
    })
    const result = await terminateUnderLoad(service, '/workouts', uberTraceId)
    const model = thrift('jaeger-idl/thrift/jaeger.thrift')
    const arrived = collector.requests
      .flatMap(({ body }) => decodeBatch(model.Batch.rw.readFrom(body, 0).value))
      .filter((span) => span.name === 'POST /workouts')
      .map((span) => ({ traceId: span.traceId, aborted: span.tags['http.aborted'] === true }))
    assertNothingLost(result, downstream.began, arrived, service)
  })
})
