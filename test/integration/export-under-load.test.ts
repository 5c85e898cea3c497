// A traced service under concurrent load, as a user runs it (`TRACER=otlp node
// examples/workout/storage`), exporting to a real OTLP/HTTP receiver on loopback: every
// answered request's server span must arrive while the service runs, and a span the tracer
// could not send must be reported on stderr, not lost in silence.
import assert from 'node:assert/strict'
import { randomUUID } from 'node:crypto'
import { after, describe, it } from 'node:test'
import { setTimeout as sleep } from 'node:timers/promises'
import { sendLoad, startServiceProcess, type ServiceProcess } from '../support/load.js'
import { waitFor } from '../support/net.js'
import { startOtlpReceiver } from '../support/otlp.js'

const CONCURRENCY = 100
const REQUESTS = 1000
const SERVER_SPAN = 'PUT /workouts/:id'

describe('exporting spans under load', () => {
  const cleanup: Array<() => unknown> = []
  after(async () => {
    for (const step of cleanup.reverse()) await step()
  })

  /** A receiver answering as `options` say, and storage exporting to it, with `env` added. */
  const start = async (
    options: Parameters<typeof startOtlpReceiver>[0] = {},
    env: Record<string, string> = {},
  ) => {
    const receiver = await startOtlpReceiver(options)
    cleanup.push(() => receiver.close())
    const service = await startServiceProcess('storage', {
      TRACER: 'otlp',
      OTEL_EXPORTER_OTLP_ENDPOINT: receiver.url,
      ...env,
    })
    cleanup.push(() => service.kill())
    return { receiver, service }
  }
  const load = (service: ServiceProcess, total: number, concurrency = CONCURRENCY) =>
    sendLoad({
      url: () => `${service.url}/workouts/${randomUUID()}`,
      method: 'PUT',
      body: JSON.stringify({ name: 'tempo', intervals: [{ minutes: 20, pace: '5:00' }] }),
      concurrency,
      total,
      timeLimitMs: 20_000,
    })

  it('should deliver the server span of every answered request, in batches, while it runs', async () => {
    const { receiver, service } = await start()
    const sent = await load(service, REQUESTS)
    const answered = sent.filter((request) => request.status === 201)
    // What counts is that each answered request's span arrives, not that the machine kept up.
    assert.ok(answered.length >= REQUESTS * 0.95, `${answered.length} of ${sent.length} answered`)

    const missing = () => {
      const arrived = new Set(
        receiver.spans
          .filter((span) => span.service === 'storage' && span.name === SERVER_SPAN)
          .map((span) => span.traceId),
      )
      return answered.filter((request) => !arrived.has(request.traceId)).length
    }
    // Before any shutdown: the batches go out on their own (every OTEL_BSP_SCHEDULE_DELAY).
    await waitFor(() => missing() === 0, 'the spans', 10_000).catch(() => undefined)
    assert.equal(
      missing(),
      0,
      `${missing()} of ${answered.length} answered requests' spans never arrived`,
    )
    assert.equal(receiver.spans.length, answered.length, 'each span once')
    assert.ok(receiver.exports() < answered.length / 10, `${receiver.exports()} export requests`)

    service.signal('SIGTERM')
    assert.equal(await service.exited, 0)
    assert.equal(service.stderr(), '', 'nothing lost, nothing reported')
  })

  it('should report on stderr the spans it drops from a full queue', async () => {
    // A backend that takes 200 ms per export, behind a queue of 20 spans: most spans of a burst
    // cannot wait for it.
    const { receiver, service } = await start(
      { delayMs: 200 },
      { OTEL_BSP_MAX_QUEUE_SIZE: '20', OTEL_BSP_MAX_EXPORT_BATCH_SIZE: '10' },
    )
    const sent = await load(service, 300, 30)
    service.signal('SIGTERM')
    assert.equal(await service.exited, 0)
    const answered = sent.filter((request) => request.status === 201).length
    assert.ok(receiver.spans.length < answered, `${receiver.spans.length} of ${answered} sent`)
    assert.match(service.stderr(), /^opentelemetry: maxQueueSize reached, dropping spans$/m)
  })

  it('should report on stderr an export the backend refused, once, not per batch', async () => {
    const { receiver, service } = await start(
      { status: 400 },
      { OTEL_BSP_MAX_EXPORT_BATCH_SIZE: '10', OTEL_BSP_SCHEDULE_DELAY: '20' },
    )
    await load(service, 200, 10)
    // Every batch refused while the service runs; none left for the shutdown's last flush.
    for (let seen = -1, rounds = 0; seen !== receiver.exports() && rounds < 20; rounds++) {
      seen = receiver.exports()
      await sleep(300)
    }
    service.signal('SIGTERM')
    assert.equal(await service.exited, 0)
    assert.ok(receiver.exports() >= 10, `${receiver.exports()} exports refused`)
    const lines = service.stderr().trim().split('\n')
    assert.equal(lines.length, 1, service.stderr())
    assert.match(lines[0]!, /^opentelemetry: OTLPExporterError: Bad Request \(400\)$/)
  })
})
