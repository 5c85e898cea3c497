// Malformed and hostile propagation headers (GHSA-45rx-2jwx-cxfr, a bare `%` in
// uber-trace-id crashing processes; CVE-2026-54285, unbounded baggage; nodejs/node#62900,
// null-prototype headers). A fixed corpus of 631 cases plus 10,000 generated ones per server
// adapter, sent over raw sockets to an app whose handler also calls out with axios and fetch.
// Every case: no exception escapes, the response equals the untraced app's, one server span
// finished once with the valid caller as parent or none, one clean traceparent on each
// outbound call, and Object.prototype untouched.
import assert from 'node:assert/strict'
import net from 'node:net'
import { describe, it } from 'node:test'
import { registerTracingInterceptor } from '@tracehop/axios'
import { tracingMiddleware } from '@tracehop/express'
import { tracingPlugin } from '@tracehop/fastify'
import { tracedFetch } from '@tracehop/fetch'
import { RecordingTracer, parseTraceParent } from '@tracehop/testing'
import axios from 'axios'
import express from 'express'
import fastify from 'fastify'
import fc from 'fast-check'
import { useEchoServer } from '../support/echo-server.js'
import { trapEscapes } from '../support/escapes.js'
import { listen, listenFastify, pooled, type RunningServer } from '../support/net.js'
import { buildCorpus, expectedParent, type HeaderCase } from './scenarios/header-corpus.js'

const GENERATED_CASES = Number(process.env.HEADER_CASES ?? 10_000)
const CONCURRENCY = 16

type Framework = 'express' | 'fastify'

async function startApp(
  framework: Framework,
  tracer: RecordingTracer | undefined,
  backend: () => string,
) {
  const http = axios.create()
  let fetchFn = globalThis.fetch
  if (tracer !== undefined) {
    registerTracingInterceptor(http, { tracer })
    fetchFn = tracedFetch(globalThis.fetch, { tracer })
  }
  const handle = async (id: string) => {
    const [a, f] = await Promise.all([
      http.get<string>(`${backend()}/a`).then((r) => r.status),
      fetchFn(`${backend()}/f`).then((r) => r.status),
    ])
    return { id, a, f }
  }
  if (framework === 'express') {
    const app = express()
    if (tracer !== undefined) app.use(tracingMiddleware({ tracer }))
    app.get('/users/:id', (req, res, next) => {
      handle(req.params.id).then((body) => res.json(body), next)
    })
    return listen(app)
  }
  const app = fastify({ forceCloseConnections: true })
  if (tracer !== undefined) await app.register(tracingPlugin, { tracer })
  app.get<{ Params: { id: string } }>('/users/:id', (request) => handle(request.params.id))
  return listenFastify(app)
}

/** Sends one request with exactly these header lines; resolves to "status body". */
function rawRequest(port: number, id: string, lines: Array<[string, string]>): Promise<string> {
  const head = [
    `GET /users/${id} HTTP/1.1`,
    'Host: 127.0.0.1',
    ...lines.map(([n, v]) => `${n}: ${v}`),
    'Connection: close',
    '',
    '',
  ].join('\r\n')
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = []
    // Written, not ended: a client that half-closes is one Node's server may drop.
    const socket = net.connect(port, '127.0.0.1', () => socket.write(Buffer.from(head, 'latin1')))
    socket.on('data', (chunk: Buffer) => chunks.push(chunk))
    socket.on('error', reject)
    socket.on('close', () => {
      const text = Buffer.concat(chunks).toString('latin1')
      const status = /^HTTP\/1\.1 (\d{3})/.exec(text)?.[1] ?? 'none'
      const body = text.slice(text.indexOf('\r\n\r\n') + 4)
      resolve(`${status} ${body}`)
    })
  })
}

const headerName = fc.oneof(
  fc.constantFrom(
    'traceparent',
    'tracestate',
    'baggage',
    'b3',
    'x-b3-traceid',
    'x-b3-spanid',
    'uber-trace-id',
    'uberctx-user',
    'ot-tracer-traceid',
    'ot-baggage-k',
    'x-datadog-trace-id',
    '__proto__',
    'constructor',
    'prototype',
    'hasOwnProperty',
  ),
  fc.stringMatching(/^[a-z][a-z0-9-]{0,20}$/),
)
const headerValue = fc.oneof(
  fc.string({ unit: fc.constantFrom(...'0123456789abcdef-:,;=% '.split('')), maxLength: 120 }),
  fc.stringMatching(/^[\x20-\x7e]{0,200}$/),
  fc.constantFrom('%', '%ZZ', '%E0%A4%A', `00-${'a'.repeat(32)}-${'b'.repeat(16)}-01`),
  fc.integer({ min: 0, max: 16_384 }).map((n) => 'x'.repeat(n)),
)
const headerLines = fc.array(fc.tuple(headerName, headerValue), { maxLength: 8 })

describe('malformed and hostile propagation headers', () => {
  const echo = useEchoServer()
  const corpus = buildCorpus()
  const generated: HeaderCase[] = fc
    .sample(headerLines, { numRuns: GENERATED_CASES, seed: 20261125 })
    .map((lines) => ({ label: 'generated', lines }))
  const prototypeBefore = Object.getOwnPropertyNames(Object.prototype).sort()
  const escaped = trapEscapes()

  for (const framework of ['express', 'fastify'] as const) {
    for (const [set, cases] of [
      ['the fixed corpus', corpus],
      ['generated cases', generated],
    ] as const) {
      it(`${framework} (with axios and fetch): ${set} (${cases.length})`, async () => {
        const plain = await startApp(framework, undefined, () => echo.url)
        const expected = await pooled(cases.length, CONCURRENCY, (i) =>
          rawRequest(plain.port, String(i), cases[i]!.lines),
        )
        await plain.close()
        const tracer = new RecordingTracer()
        echo.received.length = 0
        const traced: RunningServer = await startApp(framework, tracer, () => echo.url)
        const actual = await pooled(cases.length, CONCURRENCY, (i) =>
          rawRequest(traced.port, String(i), cases[i]!.lines),
        )
        await traced.close()

        const differences = cases.filter((_, i) => actual[i] !== expected[i])
        assert.deepEqual(
          differences.slice(0, 2).map((c) => c.label),
          [],
          `${differences.length} responses differ`,
        )
        const servers = tracer.finishedSpans().filter((span) => span.tags['span.kind'] === 'server')
        const byId = new Map(
          servers.map((span) => [
            String(/\/users\/(\d+)/.exec(String(span.tags['http.url']))?.[1]),
            span,
          ]),
        )
        let wrong = 0
        cases.forEach((testCase, i) => {
          const answered = expected[i]?.startsWith('200 ') === true
          const span = byId.get(String(i))
          if (!answered) {
            if (span !== undefined) wrong++
            return
          }
          if (span === undefined || span.finishCount !== 1) wrong++
          else if (span.parentId !== expectedParent(testCase.lines)) wrong++
        })
        assert.equal(wrong, 0, 'server spans missing, finished twice or with the wrong parent')
        assert.equal(servers.length, byId.size)
        for (const received of echo.received) {
          const lines = received.rawHeaders.filter(
            (_, j) => j % 2 === 0 && /^traceparent$/i.test(received.rawHeaders[j]!),
          )
          assert.equal(lines.length, 1)
          assert.ok(
            parseTraceParent(String(received.headers.traceparent)),
            'a valid outbound traceparent',
          )
          assert.ok(String(received.headers.baggage ?? '').length <= 8192)
        }
        assert.deepEqual(escaped, [])
        assert.deepEqual(Object.getOwnPropertyNames(Object.prototype).sort(), prototypeBefore)
        assert.equal(({} as Record<string, unknown>).polluted, undefined)
      })
    }
  }
})
