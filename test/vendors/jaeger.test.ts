// jaeger-client, the reference OpenTracing tracer: its spans reach a UDP agent and an HTTP
// collector on loopback, and are decoded with the Thrift IDL the client ships.
import { describe, it } from 'node:test'
import jaeger, { type JaegerTracer } from 'jaeger-client'
import { startCollector } from '../support/net.js'
import { assertScenario } from './support/expectations.js'
import { decodeBatch, startUdpAgent, thrift } from './support/jaeger-backend.js'
import { runScenario, type ServiceName } from './support/scenario.js'

const quiet = { info: () => undefined, error: () => undefined }

async function runWith(reporter: (service: ServiceName) => object) {
  const tracers = new Map<ServiceName, JaegerTracer>()
  const tracerFor = (service: ServiceName) => {
    let tracer = tracers.get(service)
    if (tracer === undefined) {
      tracer = jaeger.initTracer(
        {
          serviceName: service,
          sampler: { type: 'const', param: 1 },
          reporter: { ...reporter(service), flushIntervalMs: 20 },
        },
        { logger: quiet },
      )
      tracers.set(service, tracer)
    }
    return tracer
  }
  const result = await runScenario(tracerFor)
  for (const tracer of tracers.values())
    await new Promise<void>((resolve) => tracer.close(() => resolve()))
  return result
}

describe('vendor: jaeger-client', () => {
  it('should report one joined trace per chain to a UDP agent', async () => {
    const agent = await startUdpAgent()
    try {
      const result = await runWith(() => ({ agentHost: '127.0.0.1', agentPort: agent.port }))
      await new Promise((resolve) => setTimeout(resolve, 100))
      assertScenario(agent.spans, result, { baggage: true })
    } finally {
      agent.close()
    }
  })

  it('should report the same to an HTTP collector', async () => {
    const model = thrift('jaeger-idl/thrift/jaeger.thrift')
    const collector = await startCollector(() => ({ status: 202, body: '' }))
    try {
      const result = await runWith(() => ({ collectorEndpoint: `${collector.url}/api/traces` }))
      const spans = collector.requests
        .filter(({ url }) => url === '/api/traces')
        .flatMap(({ body }) => decodeBatch(model.Batch.rw.readFrom(body, 0).value))
      assertScenario(spans, result, { baggage: true })
    } finally {
      await collector.close()
    }
  })
})
