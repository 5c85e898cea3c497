// jaeger-client, the reference OpenTracing tracer: its spans reach a UDP agent and an HTTP
// collector on loopback, and are decoded with the Thrift IDL the client ships.
import dgram from 'node:dgram'
import { createRequire } from 'node:module'
import { dirname } from 'node:path'
import { describe, it } from 'node:test'
import jaeger, { type JaegerTracer } from 'jaeger-client'
import { listen } from '../support/net.js'
import { assertScenario, type VendorSpan } from './expectations.js'
import { runScenario, type ServiceName } from './scenario.js'

const require = createRequire(import.meta.url)
const idl = `${dirname(require.resolve('jaeger-client/package.json'))}/dist/src`
// thriftrw is jaeger-client's own Thrift library.
const { Thrift } = require('thriftrw') as {
  Thrift: new (options: object) => {
    Agent: {
      emitBatch: {
        argumentsMessageRW: {
          readFrom(
            buffer: Buffer,
            offset: number,
          ): { err: unknown; value: { body: { batch: JaegerBatch } } }
        }
      }
    }
    Batch: {
      rw: { readFrom(buffer: Buffer, offset: number): { err: unknown; value: JaegerBatch } }
    }
  }
}
const thrift = (file: string) =>
  new Thrift({
    entryPoint: `${idl}/${file}`,
    allowOptionalArguments: true,
    allowFilesystemAccess: true,
  })

interface JaegerTag {
  key: string
  vType: string
  vStr?: string
  vBool?: boolean
  vLong?: Buffer
  vDouble?: number
}
interface JaegerBatch {
  process: { serviceName: string }
  spans: Array<{
    traceIdLow: Buffer
    traceIdHigh: Buffer
    spanId: Buffer
    parentSpanId: Buffer
    operationName: string
    tags?: JaegerTag[]
    logs?: Array<{ fields: JaegerTag[] }>
  }>
}

function tagValue(tag: JaegerTag): unknown {
  switch (tag.vType) {
    case 'BOOL':
      return tag.vBool
    case 'LONG':
      return Number(tag.vLong?.readBigInt64BE(0))
    case 'DOUBLE':
      return tag.vDouble
    default:
      return tag.vStr
  }
}

function decodeBatch(batch: JaegerBatch): VendorSpan[] {
  return batch.spans.map((span) => {
    const tags = Object.fromEntries((span.tags ?? []).map((tag) => [tag.key, tagValue(tag)]))
    const errorLog = (span.logs ?? [])
      .map((log) => Object.fromEntries(log.fields.map((field) => [field.key, tagValue(field)])))
      .find((fields) => fields.event === 'error')
    const parent = span.parentSpanId.toString('hex')
    return {
      traceId: span.traceIdHigh.toString('hex') + span.traceIdLow.toString('hex'),
      spanId: span.spanId.toString('hex'),
      parentId: /^0+$/.test(parent) ? undefined : parent,
      name: span.operationName,
      service: batch.process.serviceName,
      tags,
      errorMessage: errorLog?.message as string | undefined,
    }
  })
}

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
    const agent = thrift('thriftrw-idl/agent.thrift')
    const spans: VendorSpan[] = []
    const socket = dgram.createSocket('udp4')
    socket.on('message', (message) => {
      const decoded = agent.Agent.emitBatch.argumentsMessageRW.readFrom(message, 0)
      if (decoded.err === null) spans.push(...decodeBatch(decoded.value.body.batch))
    })
    await new Promise<void>((resolve) => socket.bind(0, '127.0.0.1', resolve))
    const port = socket.address().port
    try {
      const result = await runWith(() => ({ agentHost: '127.0.0.1', agentPort: port }))
      await new Promise((resolve) => setTimeout(resolve, 100))
      assertScenario(spans, result, { baggage: true })
    } finally {
      socket.close()
    }
  })

  it('should report the same to an HTTP collector', async () => {
    const model = thrift('jaeger-idl/thrift/jaeger.thrift')
    const spans: VendorSpan[] = []
    const collector = await listen((req, res) => {
      const chunks: Buffer[] = []
      req.on('data', (chunk: Buffer) => chunks.push(chunk))
      req.on('end', () => {
        const decoded = model.Batch.rw.readFrom(Buffer.concat(chunks), 0)
        if (decoded.err === null && req.url === '/api/traces')
          spans.push(...decodeBatch(decoded.value))
        res.writeHead(202).end()
      })
    })
    try {
      const result = await runWith(() => ({ collectorEndpoint: `${collector.url}/api/traces` }))
      assertScenario(spans, result, { baggage: true })
    } finally {
      await collector.close()
    }
  })
})
