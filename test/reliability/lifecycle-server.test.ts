// Finish exactly once, server side: every span finished exactly once, whatever ends the request:
// the client aborting before the response, mid-body or mid-upload, a server timeout, a sync throw,
// an async rejection, next(err) or a reply with an error, next('route'), a throwing onRequest hook,
// a hijacked reply (Express: the raw socket), a 404, a 304 and a HEAD. 200 iterations per case
// under Express 5, Express 4, Fastify 5 and Fastify 4, 20 at a time, each on its own socket. Per
// span: finished once and within 1 s of the socket closing, `span.kind: server` given at start,
// aborts tagged `http.aborted` and not `error` (a client leaving is not a failure), errors tagged
// with their log, 4xx never an error, an integer `http.status_code` whenever a status was sent.
import assert from 'node:assert/strict'
import http from 'node:http'
import { after, before, describe, it } from 'node:test'
import type { RecordingSpan } from '@tracehop/testing'
import { trapEscapes } from '../support/escapes.js'
import { abortAfterFirstChunk, send, waitFor, type RunningServer } from '../support/net.js'
import {
  FINISH_BOUND_MS,
  StartTagTracer,
  assertErrorLog,
  now,
  repeat,
  settled,
} from './support/lifecycle.js'
import { ETAG, FRAMEWORKS, type Kind } from './scenarios/lifecycle-servers.js'

/** What the client saw of one iteration: the status, if a response came, and when it closed. */
interface Seen {
  status: number | undefined
  closedAt: number
}

/** Sends a request and reads the response; `closedAt` when it ended (or the socket failed). */
async function exchange(url: string, options: Parameters<typeof send>[1] = {}): Promise<Seen> {
  const status = await send(url, options).then(
    (response) => response.status,
    () => undefined,
  )
  return { status, closedAt: now() }
}

/** Sends a request (with part of its body, if given) and destroys it once its span started. */
async function abortOnceStarted(url: string, started: () => boolean, partBody?: string) {
  const request = http.request(url, {
    agent: false,
    method: partBody === undefined ? 'GET' : 'POST',
    headers: partBody === undefined ? {} : { 'content-type': 'text/plain', 'content-length': 1000 },
  })
  request.on('error', () => undefined)
  if (partBody === undefined) request.end()
  else request.write(partBody)
  await waitFor(started, 'the server span to start')
  request.destroy()
  return { status: undefined, closedAt: now() }
}

interface Case {
  name: string
  only?: Kind
  /** One iteration; `n` goes into the query (`?n=`), which names the iteration's span. */
  run(n: number, servers: { app: string; timed: string }, tracer: StartTagTracer): Promise<Seen>
  /** Case-specific checks of the iteration's span. */
  check(span: RecordingSpan, seen: Seen, kind: Kind): void
}

const aborted = (span: RecordingSpan) => {
  assert.equal(span.tags['http.aborted'], true, 'tagged http.aborted')
  assert.equal(span.tags.error, undefined, 'an abort is not an error')
}
const failed = (message: string) => (span: RecordingSpan, seen: Seen) => {
  assert.equal(seen.status, 500)
  assert.equal(span.tags.error, true)
  assertErrorLog(span)
  const log = span.logs.find(({ fields }) => fields.event === 'error')
  assert.equal(log?.fields.message, message)
}
const succeeded = (status: number) => (span: RecordingSpan, seen: Seen) => {
  assert.equal(seen.status, status)
  assert.equal(span.tags['http.status_code'], status)
  assert.equal(span.tags.error, undefined)
  assert.equal(span.tags['http.aborted'], undefined)
}

const CASES: Case[] = [
  {
    name: '1. the client aborts before any response',
    run: (n, { app }, tracer) => abortOnceStarted(`${app}/hang?n=${n}`, () => tracer.hasStarted(n)),
    check: (span) => {
      aborted(span)
      assert.equal(span.tags['http.status_code'], undefined)
    },
  },
  {
    name: '2. the client aborts mid-body of a chunked response',
    run: async (n, { app }) => {
      await abortAfterFirstChunk(`${app}/chunked?n=${n}`)
      return { status: 200, closedAt: now() }
    },
    check: (span) => {
      aborted(span)
      assert.equal(span.tags['http.status_code'], 200)
    },
  },
  {
    name: '3. the client aborts its upload mid-body',
    run: (n, { app }, tracer) =>
      abortOnceStarted(`${app}/upload?n=${n}`, () => tracer.hasStarted(n), 'x'.repeat(100)),
    check: aborted,
  },
  {
    name: '4. the server timeout fires',
    run: (n, { timed }) => exchange(`${timed}/hang?n=${n}`),
    check: (span, seen) => {
      assert.equal(seen.status, undefined)
      assert.equal(span.tags['http.status_code'], undefined)
      // A failure of the server, with its log, on both frameworks: not the client's abort.
      assert.equal(span.tags['http.aborted'], undefined)
      assert.equal(span.tags.error, true)
      assertErrorLog(span)
    },
  },
  {
    name: '5. the handler throws synchronously',
    run: (n, { app }) => exchange(`${app}/throw?n=${n}`),
    check: failed('sync boom'),
  },
  {
    name: '6. an async handler rejects',
    run: (n, { app }) => exchange(`${app}/reject?n=${n}`),
    check: failed('async boom'),
  },
  {
    name: '7. next(err) to an error handler / a reply sent with an error',
    run: (n, { app }) => exchange(`${app}/next-error?n=${n}`),
    check: failed('passed on'),
  },
  {
    name: "8. next('route')",
    only: 'express',
    run: (n, { app }) => exchange(`${app}/route/7?n=${n}`),
    check: (span, seen) => {
      succeeded(200)(span, seen)
      assert.equal(span.operationName, 'GET /route/:id')
    },
  },
  {
    name: '9. an onRequest hook throws',
    only: 'fastify',
    run: (n, { app }) => exchange(`${app}/hook-throws?n=${n}`),
    check: failed('hook boom'),
  },
  {
    name: '10. a hijacked reply',
    only: 'fastify',
    run: (n, { app }) => exchange(`${app}/hijack?n=${n}`),
    check: succeeded(200),
  },
  {
    name: '10. a response written to the raw socket',
    only: 'express',
    run: (n, { app }) => exchange(`${app}/raw?n=${n}`),
    check: (span, seen) => {
      assert.equal(seen.status, 200)
      // Express never sent a status itself: none is recorded, and nothing failed.
      assert.equal(span.tags['http.status_code'], undefined)
      assert.equal(span.tags.error, undefined)
    },
  },
  {
    name: '11. an unmatched route (404)',
    run: (n, { app }) => exchange(`${app}/no/such/route?n=${n}`),
    check: (span, seen) => {
      succeeded(404)(span, seen)
      assert.equal(span.operationName, 'GET')
      assert.equal(span.logs.length, 0)
    },
  },
  {
    name: '12. a 304 for a matching If-None-Match',
    run: (n, { app }) => exchange(`${app}/etag?n=${n}`, { headers: { 'if-none-match': ETAG } }),
    check: succeeded(304),
  },
  {
    name: '12. a HEAD request',
    run: (n, { app }) => exchange(`${app}/etag?n=${n}`, { method: 'HEAD' }),
    check: (span, seen) => {
      succeeded(200)(span, seen)
      assert.equal(span.tags['http.method'], 'HEAD')
    },
  },
]

for (const framework of FRAMEWORKS) {
  describe(`${framework.name} finishes every server span exactly once`, () => {
    const escaped = trapEscapes()
    const tracer = new StartTagTracer()
    let servers: { app: RunningServer; timed: RunningServer }
    before(async () => {
      servers = await framework.start(tracer)
    })
    after(async () => {
      await servers.app.close()
      await servers.timed.close()
    })

    for (const testCase of CASES.filter(
      ({ only }) => only === undefined || only === framework.kind,
    )) {
      it(testCase.name, async () => {
        tracer.reset()
        const urls = { app: servers.app.url, timed: servers.timed.url }
        const seen = await repeat((n) => testCase.run(n, urls, tracer))
        await settled(tracer)
        seen.forEach((iteration, n) => {
          const spans = tracer.spansOf(n)
          assert.equal(spans.length, 1, `iteration ${n}: one server span`)
          const span = spans[0]!
          const label = `iteration ${n}`
          assert.equal(tracer.tagsAtStart(span)['span.kind'], 'server', `${label}: kind at start`)
          const late = (span.finishTime ?? Infinity) - iteration.closedAt
          assert.ok(late <= FINISH_BOUND_MS, `${label}: finished ${late} ms after the close`)
          const status = span.tags['http.status_code']
          if (status !== undefined) assert.ok(Number.isInteger(status), `${label}: status`)
          if (typeof status === 'number' && status >= 500) assert.equal(span.tags.error, true)
          if (typeof status === 'number' && status < 500) assert.equal(span.tags.error, undefined)
          testCase.check(span, iteration, framework.kind)
        })
        assert.equal(tracer.spans().length, seen.length, 'no span but the iterations’')
        assert.deepEqual(escaped, [])
      })
    }
  })
}
