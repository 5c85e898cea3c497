// An example service run as a user runs it (`node examples/workout/<service>`), and bounded
// concurrent load on it, each request the start of a trace whose id the test knows.
import { spawn } from 'node:child_process'
import { once } from 'node:events'
import http from 'node:http'
import { fileURLToPath } from 'node:url'
import { makeTraceparent, waitFor } from './net.js'

const root = fileURLToPath(new URL('../..', import.meta.url))

/** A workout service in a process of its own. */
export interface ServiceProcess {
  url: string
  /** What it wrote to stderr so far. */
  stderr(): string
  /** Sends `signal` (SIGTERM by default). */
  signal(signal?: NodeJS.Signals): void
  /** Its exit code, once it has exited (null when killed by a signal). */
  exited: Promise<number | null>
  /** Kills it if it still runs (for cleanup). */
  kill(): void
}

/** Starts `examples/workout/<name>` on 127.0.0.1 with `env` added, once it listens. */
export async function startServiceProcess(
  name: string,
  env: Record<string, string>,
): Promise<ServiceProcess> {
  const child = spawn(process.execPath, [`examples/workout/${name}`], {
    cwd: root,
    env: { ...process.env, HOST: '127.0.0.1', PORT: '0', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  })
  let stdout = ''
  let stderr = ''
  child.stdout.setEncoding('utf8').on('data', (chunk: string) => (stdout += chunk))
  child.stderr.setEncoding('utf8').on('data', (chunk: string) => (stderr += chunk))
  const exited = once(child, 'exit').then(([code]) => code as number | null)
  const listening = () => /listening on (\S+)/.exec(stdout)?.[1]
  try {
    await waitFor(() => listening() !== undefined || child.exitCode !== null, name, 20_000)
  } catch (error) {
    child.kill('SIGKILL')
    throw error
  }
  const url = listening()
  if (url === undefined) throw new Error(`${name} exited: ${stderr}`)
  return {
    url,
    stderr: () => stderr,
    signal: (signal = 'SIGTERM') => child.kill(signal),
    exited,
    kill: () => {
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL')
    },
  }
}

/** One request of a load run. */
export interface Sent {
  /** The trace it started (the caller's trace id in its headers). */
  traceId: string
  /** The response's status, when one came back whole. */
  status?: number
  error?: string
  /** When it was sent and answered (Date.now()). */
  sentAt: number
  answeredAt?: number
}

/** A load run: where, what, how much, and when to stop. */
export interface LoadOptions {
  url: (index: number) => string
  method: string
  body?: string
  concurrency: number
  /** At most this many requests. */
  total: number
  /** No request starts after this many ms. */
  timeLimitMs: number
  /** Called after each answer; the run sends no more once it returns true. */
  stop?: (sent: readonly Sent[]) => boolean
  /** A worker that meets an error sends no more (a service shutting down refuses connections). */
  stopOnError?: boolean
  /** The headers that start the trace (default: a W3C traceparent). */
  traceHeaders?: (traceId: string, spanId: string) => http.OutgoingHttpHeaders
}

/** jaeger-client's own header (it cannot read a W3C traceparent). */
export const uberTraceId = (traceId: string, spanId: string): http.OutgoingHttpHeaders => ({
  'uber-trace-id': `${traceId}:${spanId}:0:1`,
})

/**
 * Sends up to `total` requests, `concurrency` at a time over as many kept-alive connections,
 * each continuing a fresh trace of its own. Resolves with every request sent, in order.
 */
export async function sendLoad(options: LoadOptions): Promise<Sent[]> {
  const agent = new http.Agent({ keepAlive: true, maxSockets: options.concurrency })
  const sent: Sent[] = []
  const deadline = Date.now() + options.timeLimitMs
  let stopped = false
  const worker = async () => {
    while (!stopped && sent.length < options.total && Date.now() < deadline) {
      const index = sent.length
      const { header, traceId, spanId } = makeTraceparent()
      const headers = options.traceHeaders?.(traceId, spanId) ?? { traceparent: header }
      const record: Sent = { traceId, sentAt: Date.now() }
      sent.push(record)
      try {
        record.status = await request(
          agent,
          options.url(index),
          options.method,
          headers,
          options.body,
        )
        record.answeredAt = Date.now()
        if (options.stop?.(sent) === true) stopped = true
      } catch (error) {
        record.error = String(error)
        if (options.stopOnError === true) return
      }
    }
  }
  try {
    await Promise.all(Array.from({ length: options.concurrency }, worker))
  } finally {
    agent.destroy()
  }
  return sent
}

function request(
  agent: http.Agent,
  url: string,
  method: string,
  traceHeaders: http.OutgoingHttpHeaders,
  body?: string,
): Promise<number> {
  return new Promise((resolve, reject) => {
    const headers = { ...traceHeaders }
    if (body !== undefined) headers['content-type'] = 'application/json'
    const req = http.request(url, { method, agent, headers }, (response) => {
      response.resume()
      response.on('end', () => resolve(response.statusCode ?? 0))
      response.on('error', reject)
    })
    req.setTimeout(15_000, () => req.destroy(new Error('no answer within 15 s')))
    req.on('error', reject)
    req.end(body)
  })
}
