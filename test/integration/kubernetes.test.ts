// The Kubernetes manifests of the workout system: every variable a service reads is set, every
// URL points at a Service that exists, on a port it exposes, backed by a matching pod, and a
// stopping pod has time to drain and send its last spans before it is killed.
import assert from 'node:assert/strict'
import { readFileSync } from 'node:fs'
import { describe, it } from 'node:test'
import { batchConfig, FLUSH_TIMEOUT_MS } from '@tracehop/example-tracers'
import { parseAllDocuments } from 'yaml'
import { RUN_CONTROLLER_ENV } from '../../examples/workout/src/run-controller.js'
import { STORAGE_ENV } from '../../examples/workout/src/storage.js'
import { WORKOUT_API_ENV } from '../../examples/workout/src/workout-api.js'

interface Manifest {
  kind: string
  metadata: { name: string }
  spec: {
    selector?: { app?: string; matchLabels?: Record<string, string> }
    ports?: Array<{ port: number; targetPort: number; protocol?: string }>
    template?: {
      metadata: { labels: Record<string, string> }
      spec: {
        terminationGracePeriodSeconds?: number
        containers: Array<{
          args?: string[]
          env?: Array<{ name: string; value: string }>
          ports?: Array<{ containerPort: number; protocol?: string }>
          lifecycle?: { preStop?: { exec?: { command: string[] } } }
        }>
      }
    }
  }
}

const dir = new URL('../../examples/kubernetes/', import.meta.url)
const manifests: Manifest[] = ['jaeger.yaml', 'workout.yaml'].flatMap((file) =>
  parseAllDocuments(readFileSync(new URL(file, dir), 'utf8')).map((doc) => doc.toJS() as Manifest),
)
const deployments = new Map(
  manifests.filter((m) => m.kind === 'Deployment').map((m) => [m.metadata.name, m]),
)
const services = new Map(
  manifests.filter((m) => m.kind === 'Service').map((m) => [m.metadata.name, m]),
)

// What each service reads: its declared list, checked against its source below, and what the
// tracer it is given (TRACER) reads.
const declared: Record<string, readonly string[]> = {
  storage: STORAGE_ENV,
  'run-controller': RUN_CONTROLLER_ENV,
  'workout-api': WORKOUT_API_ENV,
}
const tracerEnv: Record<string, string[]> = {
  otlp: ['OTEL_EXPORTER_OTLP_ENDPOINT'],
  jaeger: ['JAEGER_AGENT_HOST'],
  zipkin: ['OTEL_EXPORTER_ZIPKIN_ENDPOINT'],
}

/** The pod behind `service` listening on `port` with `protocol`, if the Service exposes it. */
function exposes(service: Manifest, port: number, protocol = 'TCP'): boolean {
  const entry = service.spec.ports?.find(
    (p) => p.port === port && (p.protocol ?? 'TCP') === protocol,
  )
  if (entry === undefined) return false
  return [...deployments.values()]
    .filter((d) => d.spec.template!.metadata.labels.app === service.spec.selector?.app)
    .flatMap((d) => d.spec.template!.spec.containers.flatMap((c) => c.ports ?? []))
    .some((p) => p.containerPort === entry.targetPort && (p.protocol ?? 'TCP') === protocol)
}

describe('examples/kubernetes', () => {
  it('should declare every variable each service source reads', () => {
    const shared = readFileSync(
      new URL('../../examples/workout/src/service.ts', import.meta.url),
      'utf8',
    )
    for (const [service, names] of Object.entries(declared)) {
      const source = readFileSync(
        new URL(`../../examples/workout/src/${service}.ts`, import.meta.url),
        'utf8',
      )
      const read = new Set(
        [...(source + shared).matchAll(/env\.([A-Z_]+)|required\(env, '([A-Z_]+)'\)/g)].map(
          (match) => match[1] ?? match[2],
        ),
      )
      for (const name of read) assert.ok(names.includes(name!), `${service} reads ${name}`)
    }
  })

  for (const [service, names] of Object.entries(declared)) {
    it(`${service}: should set every variable the service and its tracer read`, () => {
      const deployment = deployments.get(service)
      assert.ok(deployment, `no Deployment ${service}`)
      const container = deployment.spec.template!.spec.containers[0]!
      assert.deepEqual(container.args, [`examples/workout/${service}`])
      const env = new Map((container.env ?? []).map(({ name, value }) => [name, value]))
      for (const name of names) assert.ok(env.has(name), `${service} needs ${name}`)
      for (const name of tracerEnv[env.get('TRACER') ?? ''] ?? []) {
        assert.ok(env.has(name), `${service} with TRACER=${env.get('TRACER')} needs ${name}`)
      }
      assert.deepEqual(
        container.ports?.map((port) => port.containerPort),
        [Number(env.get('PORT'))],
      )
    })
  }

  it('should point every URL at a defined Service, on a port it exposes, backed by a pod', () => {
    let urls = 0
    for (const deployment of deployments.values()) {
      for (const container of deployment.spec.template!.spec.containers) {
        for (const { name, value } of container.env ?? []) {
          if (!/^https?:\/\//.test(value)) continue
          urls++
          const url = new URL(value)
          const service = services.get(url.hostname)
          assert.ok(service, `${name}: no Service ${url.hostname}`)
          const port = service.spec.ports?.find((p) => p.port === Number(url.port))
          assert.ok(port, `${name}: Service ${url.hostname} has no port ${url.port}`)
          const target = [...deployments.values()].find(
            (d) => d.spec.template!.metadata.labels.app === service.spec.selector?.app,
          )
          assert.ok(target, `${name}: Service ${url.hostname} selects no pod`)
          const containerPorts = target.spec.template!.spec.containers.flatMap(
            (c) => c.ports?.map((p) => p.containerPort) ?? [],
          )
          assert.ok(
            containerPorts.includes(port.targetPort),
            `${name}: nothing listens on ${port.targetPort}`,
          )
        }
      }
    }
    assert.ok(urls >= 6, `${urls} URLs checked`)
  })

  it('should expose, on the jaeger Service, what the README points each other TRACER at', () => {
    const readme = readFileSync(new URL('README.md', dir), 'utf8')
    const jaeger = services.get('jaeger')!
    // Over HTTP: JAEGER_ENDPOINT (jaeger-client), OTEL_EXPORTER_ZIPKIN_ENDPOINT (zipkin), ….
    const endpoints = [...readme.matchAll(/`([A-Z_]+)=(http:\/\/jaeger:\d+[^`]*)`/g)]
    const named = new Set(endpoints.map(([, name]) => name))
    for (const name of [
      'OTEL_EXPORTER_OTLP_ENDPOINT',
      'JAEGER_ENDPOINT',
      'OTEL_EXPORTER_ZIPKIN_ENDPOINT',
    ]) {
      assert.ok(named.has(name), `the README gives ${name}`)
    }
    for (const [, name, value] of endpoints) {
      assert.ok(exposes(jaeger, Number(new URL(value!).port)), `${name}=${value}: not exposed`)
    }
    // jaeger-client's UDP agent: JAEGER_AGENT_HOST=jaeger, on the port examples/tracers defaults to.
    assert.match(readme, /`JAEGER_AGENT_HOST=jaeger`/)
    const source = readFileSync(
      new URL('../../examples/tracers/src/jaeger.ts', import.meta.url),
      'utf8',
    )
    const agentPort = Number(/JAEGER_AGENT_PORT \?\? (\d+)/.exec(source)?.[1])
    assert.equal(agentPort, 6832, "jaeger-client's own default: Thrift binary")
    assert.ok(exposes(jaeger, agentPort, 'UDP'), `UDP ${agentPort}: not exposed`)
  })

  for (const service of Object.keys(declared)) {
    it(`${service}: should have time to drain and flush between SIGTERM and SIGKILL`, () => {
      const pod = deployments.get(service)!.spec.template!.spec
      const container = pod.containers[0]!
      const env = Object.fromEntries((container.env ?? []).map(({ name, value }) => [name, value]))
      // Callers stop sending only once they have seen the pod leave the Service: serve till then.
      const [command, seconds] = container.lifecycle?.preStop?.exec?.command ?? []
      assert.equal(command, 'sleep')
      const preStop = Number(seconds)
      assert.ok(preStop >= 3, `preStop sleeps ${seconds} s`)
      const drain = Number(env.SHUTDOWN_GRACE_MS) / 1000
      assert.ok(drain > 0, `SHUTDOWN_GRACE_MS is ${env.SHUTDOWN_GRACE_MS}`)
      const needed = preStop + drain + FLUSH_TIMEOUT_MS / 1000
      const grace = pod.terminationGracePeriodSeconds
      assert.ok(
        grace !== undefined && grace >= needed,
        `${grace} s of grace for ${needed} s of shutdown`,
      )
      if (env.TRACER !== 'otlp') return
      // Set, valid (batchConfig() would fall back on its default) and consistent.
      const batch = batchConfig(env)
      for (const [name, value] of Object.entries({
        OTEL_BSP_MAX_QUEUE_SIZE: batch.maxQueueSize,
        OTEL_BSP_MAX_EXPORT_BATCH_SIZE: batch.maxExportBatchSize,
        OTEL_BSP_SCHEDULE_DELAY: batch.scheduledDelayMillis,
        OTEL_BSP_EXPORT_TIMEOUT: batch.exportTimeoutMillis,
      })) {
        assert.equal(env[name], String(value), `${service}: ${name}`)
      }
      assert.ok(batch.maxExportBatchSize <= batch.maxQueueSize)
      assert.ok(batch.exportTimeoutMillis <= FLUSH_TIMEOUT_MS, 'a last export ends before exit')
    })
  }
})
