import http, { type IncomingHttpHeaders, type RequestListener } from 'node:http'
import https from 'node:https'
import type { AddressInfo } from 'node:net'
import { gunzipSync } from 'node:zlib'
import type { RecordingSpan, RecordingTracer } from '@tracehop/testing'
import type { FastifyInstance } from 'fastify'
import { setTimeout as sleep } from 'node:timers/promises'
import { testCertificate } from './tls.js'

/** A server listening on 127.0.0.1 on a free port. */
export interface RunningServer {
  url: string
  port: number
  close(): Promise<void>
}

/** Starts `listener` on 127.0.0.1:0; close() also ends keep-alive connections. */
export async function listen(listener: RequestListener | http.Server): Promise<RunningServer> {
  const server = listener instanceof http.Server ? listener : http.createServer(listener)
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject)
    server.listen(0, '127.0.0.1', () => resolve())
  })
  const { port } = server.address() as AddressInfo
  return {
    url: `http://127.0.0.1:${port}`,
    port,
    close: () =>
      new Promise<void>((resolve, reject) => {
        server.close((error) => (error ? reject(error) : resolve()))
        server.closeAllConnections()
      }),
  }
}

/** Starts a Fastify app (4 or 5) on 127.0.0.1:0; close() is the app's own. */
export async function listenFastify(
  app: FastifyInstance,
  scheme: 'http' | 'https' = 'http',
): Promise<RunningServer> {
  await app.listen({ port: 0, host: '127.0.0.1' })
  const address = app.server.address()
  const port = typeof address === 'object' && address !== null ? address.port : 0
  return { url: `${scheme}://127.0.0.1:${port}`, port, close: () => app.close() }
}

/** A response read whole. */
export interface Received {
  status: number
  headers: IncomingHttpHeaders
  body: string
  /** The client's port, which the server sees as the peer's. */
  localPort?: number | undefined
}

/**
 * Sends one request with node:http, or node:https trusting the test certificate for an `https`
 * URL (no tracing involved), and reads the whole response.
 */
export function send(
  url: string,
  options: {
    method?: string
    headers?: http.OutgoingHttpHeaders
    body?: string
    /** Default: none (a connection of its own). */
    agent?: http.Agent
    /** Local address to send from (127.0.0.2, say); default: the system's choice. */
    localAddress?: string
  } = {},
): Promise<Received> {
  return new Promise((resolve, reject) => {
    const secure = url.startsWith('https:')
    const request = (secure ? https : http).request(
      url,
      {
        method: options.method ?? 'GET',
        headers: options.headers,
        agent: options.agent ?? false,
        ...(secure ? { ca: testCertificate().cert } : {}),
        ...(options.localAddress === undefined ? {} : { localAddress: options.localAddress }),
      },
      (response) => {
        let body = ''
        const localPort = response.socket.localPort
        response.setEncoding('utf8')
        response.on('data', (chunk: string) => (body += chunk))
        response.on('end', () =>
          resolve({ status: response.statusCode ?? 0, headers: response.headers, body, localPort }),
        )
        response.on('error', reject)
      },
    )
    request.on('error', reject)
    request.end(options.body)
  })
}

/** Polls `check` until it returns true, or fails after `timeoutMs`. */
export async function waitFor(check: () => boolean, what: string, timeoutMs = 3000): Promise<void> {
  const deadline = Date.now() + timeoutMs
  while (!check()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`)
    await sleep(5)
  }
}

/** The tracer's finished spans, once there are at least `count` (fails after `timeoutMs`). */
export async function finishedSpans(
  tracer: RecordingTracer,
  count = 1,
  timeoutMs = 3000,
): Promise<RecordingSpan[]> {
  await waitFor(
    () => tracer.finishedSpans().length >= count,
    `${count} finished span(s)`,
    timeoutMs,
  )
  return tracer.finishedSpans()
}

/** Sends a request and destroys the socket once the response headers (and a first chunk) arrive. */
export function abortAfterFirstChunk(url: string): Promise<void> {
  return new Promise((resolve, reject) => {
    const request = http.request(url, { agent: false }, (response) => {
      response.once('data', () => {
        request.destroy()
        resolve()
      })
    })
    request.on('error', (error: NodeJS.ErrnoException) => {
      if (error.code !== 'ECONNRESET') reject(error)
    })
    request.end()
  })
}

/** Sends a request and destroys the socket after `ms`, before any response. */
export function abortAfter(url: string, ms: number): Promise<void> {
  return new Promise((resolve) => {
    const request = http.request(url, { agent: false })
    request.on('error', () => undefined)
    request.end()
    setTimeout(() => {
      request.destroy()
      resolve()
    }, ms)
  })
}

/** A valid W3C traceparent with random ids, and its parts. */
export function makeTraceparent(): { header: string; traceId: string; spanId: string } {
  const hex = (bytes: number) =>
    Array.from({ length: bytes }, () =>
      Math.floor(Math.random() * 256)
        .toString(16)
        .padStart(2, '0'),
    ).join('')
  const traceId = hex(16)
  const spanId = hex(8)
  return { header: `00-${traceId}-${spanId}-01`, traceId, spanId }
}

/** A request a collector received: its path and its body (gunzipped). */
export interface Collected {
  url: string
  body: Buffer
}

/**
 * A loopback backend that keeps every request it receives (a tracing agent or collector, say)
 * and answers each with `reply(url)`; default 200 `{}`.
 */
export async function startCollector(
  reply: (url: string) => { status: number; body: string } = () => ({ status: 200, body: '{}' }),
): Promise<RunningServer & { requests: Collected[] }> {
  const requests: Collected[] = []
  const server = await listen((req, res) => {
    const chunks: Buffer[] = []
    req.on('data', (chunk: Buffer) => chunks.push(chunk))
    req.on('end', () => {
      let body = Buffer.concat(chunks)
      if (req.headers['content-encoding'] === 'gzip') body = gunzipSync(body)
      const url = req.url ?? ''
      requests.push({ url, body })
      const { status, body: answer } = reply(url)
      res.writeHead(status, { 'content-type': 'application/json' }).end(answer)
    })
  })
  return { ...server, requests }
}

/** The bodies a collector received at `path`, as text. */
export function bodiesAt(requests: readonly Collected[], path: string): string[] {
  return requests.filter(({ url }) => url === path).map(({ body }) => body.toString('utf8'))
}

/** Runs `run(0)` … `run(count - 1)`, at most `concurrency` at a time; results in index order. */
export async function pooled<T>(
  count: number,
  concurrency: number,
  run: (index: number) => Promise<T>,
): Promise<T[]> {
  const results = new Array<T>(count)
  let next = 0
  await Promise.all(
    Array.from({ length: Math.min(concurrency, count) }, async () => {
      while (next < count) {
        const index = next++
        results[index] = await run(index)
      }
    }),
  )
  return results
}
