// What a Jaeger agent or collector receives, decoded with the Thrift IDL jaeger-client ships.
import dgram from 'node:dgram'
import { createRequire } from 'node:module'
import { dirname } from 'node:path'
import type { VendorSpan } from './expectations.js'

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
/** A Thrift codec for one of jaeger-client's IDL files. */
export const thrift = (file: string) =>
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

/** The spans of a Jaeger `Batch`. */
export function decodeBatch(batch: JaegerBatch): VendorSpan[] {
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

/** A UDP Jaeger agent on 127.0.0.1: the spans it received, its port, and close(). */
export async function startUdpAgent(): Promise<{
  spans: VendorSpan[]
  port: number
  close(): void
}> {
  const agent = thrift('thriftrw-idl/agent.thrift')
  const spans: VendorSpan[] = []
  const socket = dgram.createSocket('udp4')
  socket.on('message', (message) => {
    const decoded = agent.Agent.emitBatch.argumentsMessageRW.readFrom(message, 0)
    if (decoded.err === null) spans.push(...decodeBatch(decoded.value.body.batch))
  })
  await new Promise<void>((resolve) => socket.bind(0, '127.0.0.1', resolve))
  return { spans, port: socket.address().port, close: () => socket.close() }
}
