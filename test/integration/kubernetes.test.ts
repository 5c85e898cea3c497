// The Kubernetes manifests of the workout system: every variable a service reads is set, and
// every URL points at a Service that exists, on a port it exposes, backed by a matching pod.
import assert from 'node:assert/strict'
import { readFileSync } from 'node:fs'
import { describe, it } from 'node:test'
import { parseAllDocuments } from 'yaml'
import { RUN_CONTROLLER_ENV } from '../examples/workout/src/run-controller.js'
import { STORAGE_ENV } from '../examples/workout/src/storage.js'
import { WORKOUT_API_ENV } from '../examples/workout/src/workout-api.js'

interface Manifest {
  kind: string
  metadata: { name: string }
  spec: {
    selector?: { app?: string; matchLabels?: Record<string, string> }
    ports?: Array<{ port: number; targetPort: number }>
    template?: {
      metadata: { labels: Record<string, string> }
      spec: {
        containers: Array<{
          args?: string[]
          env?: Array<{ name: string; value: string }>
          ports?: Array<{ containerPort: number }>
        }>
      }
    }
  }
}

const dir = new URL('../examples/kubernetes/', import.meta.url)
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
}

describe('examples/kubernetes', () => {
  it('should declare every variable each service source reads', () => {
    const shared = readFileSync(
      new URL('../examples/workout/src/service.ts', import.meta.url),
      'utf8',
    )
    for (const [service, names] of Object.entries(declared)) {
      const source = readFileSync(
        new URL(`../examples/workout/src/${service}.ts`, import.meta.url),
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
})
