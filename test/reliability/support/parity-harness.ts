// The differential harness of the parity suite (parity.test.ts): the same app built twice, once
// with tracing installed the way the README says and once without, the same requests sent to both
// with node:http (nothing traced on the sending side), and everything the client can observe
// compared: status, every header line in order, body bytes, trailers, how the response ended, and
// the order the app's handlers ran.
import http, { type OutgoingHttpHeaders } from 'node:http'
import { mkdtempSync, rmSync, utimesSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { setTimeout as sleep } from 'node:timers/promises'
import { RecordingTracer, assertFinishedOnce } from '@tracehop/testing'
import { finishedSpans, type RunningServer } from '../../support/net.js'

/** One request of a scenario. */
export interface Probe {
  method?: string
  path: string
  headers?: OutgoingHttpHeaders
  body?: string | Buffer
}

/** A probe, or one made from the answers before it (an If-None-Match from an ETag, say). */
export type ProbeStep = Probe | ((previous: readonly Answer[]) => Probe)

/** What the client observed. */
export interface Answer {
  status: number
  /** `name: value` lines in the order received, minus the ones that vary by the clock. */
  headers: string[]
  /** The body bytes, as latin1 (one character per byte). */
  body: string
  trailers: string[]
  /** How the exchange failed (the server reset the connection, say), or undefined. */
  error: string | undefined
}

/** Records that a handler, middleware or hook ran. */
export type Mark = (step: string) => void

/** A scenario of a server framework: its routes and the requests sent to them. */
export interface ServerScenario<App, Module> {
  name: string
  /** The framework majors it applies to (default: all). */
  majors?: readonly number[]
  /** The app's routes, middleware and hooks; runs after tracing is installed. */
  routes: (app: App, mark: Mark, framework: Module) => unknown
  /** Error middleware, installed after tracingErrorHandler() when traced (Express only). */
  errors?: (app: App, mark: Mark) => unknown
  probes: readonly ProbeStep[]
}

// The clock's headers; the connection headers are the same for both runs but carry timings.
const VARYING = new Set(['date', 'keep-alive'])

function lines(raw: readonly string[]): string[] {
  const out: string[] = []
  for (let i = 0; i + 1 < raw.length; i += 2) {
    const name = (raw[i] as string).toLowerCase()
    if (!VARYING.has(name)) out.push(`${name}: ${raw[i + 1] as string}`)
  }
  return out
}

/** Sends one request on a connection of its own; never rejects (a failure is in `error`). */
export function exchange(baseUrl: string, probe: Probe): Promise<Answer> {
  return new Promise((resolve) => {
    const request = http.request(
      baseUrl + probe.path,
      { method: probe.method ?? 'GET', headers: probe.headers, agent: false },
      (response) => {
        const chunks: Buffer[] = []
        let error: string | undefined
        response.on('data', (chunk: Buffer) => chunks.push(chunk))
        response.on('error', (failure: NodeJS.ErrnoException) => (error = failure.code ?? 'error'))
        response.on('close', () =>
          resolve({
            status: response.statusCode ?? 0,
            headers: lines(response.rawHeaders),
            body: Buffer.concat(chunks).toString('latin1'),
            trailers: lines(response.rawTrailers),
            error: response.complete ? undefined : (error ?? 'incomplete'),
          }),
        )
      },
    )
    request.on('error', (failure: NodeJS.ErrnoException) =>
      resolve({ status: 0, headers: [], body: '', trailers: [], error: failure.code ?? 'error' }),
    )
    request.end(probe.body)
  })
}

/** What one build of a scenario produced. */
export interface Run {
  answers: Answer[]
  order: string[]
}

/** Starts an app (marks go to `mark`), sends the probes one after another, stops it. */
export async function runProbes(
  start: (mark: Mark) => Promise<RunningServer>,
  probes: readonly ProbeStep[],
): Promise<Run> {
  const order: string[] = []
  const server = await start((step) => order.push(step))
  const answers: Answer[] = []
  try {
    for (const step of probes) {
      const probe = typeof step === 'function' ? step(answers) : step
      answers.push(await exchange(server.url, probe))
      // Hooks that run once the response is written (onResponse, 'finish') are part of the order.
      await sleep(2)
    }
  } finally {
    await server.close()
  }
  return { answers, order }
}

/**
 * Runs a scenario without tracing and with it (a fresh RecordingTracer), checks the traced run
 * really recorded one server span per request, each finished once, and returns both runs.
 */
export async function differential(
  start: (tracer: RecordingTracer | undefined, mark: Mark) => Promise<RunningServer>,
  probes: readonly ProbeStep[],
): Promise<{ plain: Run; traced: Run }> {
  const plain = await runProbes((mark) => start(undefined, mark), probes)
  const tracer = new RecordingTracer()
  const traced = await runProbes((mark) => start(tracer, mark), probes)
  const spans = await finishedSpans(tracer, probes.length)
  assertFinishedOnce(tracer.spans())
  const servers = spans.filter((span) => span.tags['span.kind'] === 'server')
  if (servers.length !== probes.length) {
    throw new Error(`${servers.length} server spans for ${probes.length} requests`)
  }
  return { plain, traced }
}

/** The header an ETag probe needs: the ETag of the answer before it. */
export function etagOf(answer: Answer | undefined): string {
  const line = answer?.headers.find((header) => header.startsWith('etag: '))
  if (line === undefined) throw new Error('the previous answer has no ETag')
  return line.slice('etag: '.length)
}

/** A directory with `hello.txt` (1,000 bytes, a fixed mtime) for sendFile, static and download. */
export const fixtures = {
  dir: '',
  create(): void {
    this.dir = mkdtempSync(join(tmpdir(), 'tracehop-parity-'))
    const file = join(this.dir, 'hello.txt')
    writeFileSync(file, 'hello, parity\n'.repeat(72).slice(0, 1000))
    utimesSync(file, new Date('2024-01-02T03:04:05Z'), new Date('2024-01-02T03:04:05Z'))
  },
  remove(): void {
    if (this.dir !== '') rmSync(this.dir, { recursive: true, force: true })
  },
}
