// Express on Node's HTTP/2 compatibility API. Express swaps the prototype of every request and
// response for its own, built on Node's HTTP/1 IncomingMessage and ServerResponse: an HTTP/2
// request loses the getters that make it work (headers, url, its stream), and Express fails before
// its first middleware runs, with uncaught exceptions and no answer. HTTP/1.1 clients of an HTTP/2
// server with allowHTTP1 get Node's HTTP/1 objects and are served (the server contract runs
// there too). These tests pin both, with and without tracing.
import assert from 'node:assert/strict'
import { execFile } from 'node:child_process'
import http2 from 'node:http2'
import { fileURLToPath } from 'node:url'
import { promisify } from 'node:util'
import { describe, it } from 'node:test'
import { tracingMiddleware } from '@tracehop/express'
import express5 from 'express'
import express4 from 'express4'
import type { ExpressModule } from '../../../test/support/express-app.js'
import { finishedSpans, send } from '../../../test/support/net.js'
import { useRecordingTracer } from '../../../test/support/recording-tracer.js'
import { testCertificate } from '../../../test/support/tls.js'
import { listenServer } from '../../../test/support/transports.js'

const child = fileURLToPath(new URL('./children/http2-stream.ts', import.meta.url))

interface Outcome {
  answer: string
  escaped: string[]
  spans: number
  openSpans: number
  reported: string[]
}

async function overHttp2(major: string, mode: 'plain' | 'traced'): Promise<Outcome> {
  const { stdout } = await promisify(execFile)(
    process.execPath,
    ['--import', 'tsx', child, major, mode],
    { timeout: 30_000 },
  )
  return JSON.parse(stdout) as Outcome
}

const majors: Array<[string, ExpressModule]> = [
  ['5', express5],
  ['4', express4 as unknown as ExpressModule],
]

for (const [major, express] of majors) {
  describe(`Express ${major} on an HTTP/2 server`, () => {
    const recording = useRecordingTracer()

    it('should fail in Express itself on an HTTP/2 stream, the same with tracing, with no span', async () => {
      const [plain, traced] = await Promise.all([
        overHttp2(major, 'plain'),
        overHttp2(major, 'traced'),
      ])
      assert.equal(plain.answer, 'no answer')
      // Should Express ever serve HTTP/2, docs/deployments.md and the contract must follow.
      assert.ok(plain.escaped.length > 0, 'Express answered an HTTP/2 stream')
      assert.deepEqual(traced, plain)
      assert.deepEqual(traced.reported, [])
      assert.equal(traced.spans, 0)
    })

    it('should serve and trace an HTTP/1.1 client when the server allows HTTP/1.1', async () => {
      const app = express()
      app.use(tracingMiddleware({ tracer: recording.tracer }))
      app.get('/users/:id', (req, res) => {
        res.json({ id: req.params.id })
      })
      const server = http2.createSecureServer(
        { ...testCertificate(), allowHTTP1: true },
        app as never,
      )
      recording.server = await listenServer(server, 'https')
      const response = await send(`${recording.server.url}/users/7`)
      assert.equal(response.body, '{"id":"7"}')
      const [span] = await finishedSpans(recording.tracer)
      assert.equal(span?.operationName, 'GET /users/:id')
      assert.equal(span?.tags['http.url'], `${recording.server.url}/users/7`)
    })
  })
}
