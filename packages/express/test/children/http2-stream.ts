// Run by http2.test.ts as `node --import tsx children/http2-stream.ts 4|5 plain|traced`: sends one
// HTTP/2 request to an Express app on an HTTP/2 server and prints, as JSON, what came back, the
// uncaught exceptions it caused (by class) and the spans recorded. A process of its own, because
// node:test fails any test an uncaught exception occurs in, and Express throws two here.
import http2 from 'node:http2'
import { setTimeout as sleep } from 'node:timers/promises'
import { tracingMiddleware } from '@tracehop/express'
import { RecordingTracer } from '@tracehop/testing'
import express5 from 'express'
import express4 from 'express4'
import type { ExpressModule } from '../../../../test/support/express-app.js'
import { H2Session } from '../../../../test/support/http2-client.js'
import { testCertificate } from '../../../../test/support/tls.js'
import { listenServer } from '../../../../test/support/transports.js'

const [major, mode] = process.argv.slice(2)
const express = (major === '4' ? express4 : express5) as unknown as ExpressModule
const escaped: string[] = []
process.on('uncaughtException', (error) => escaped.push(error.constructor.name))

const tracer = new RecordingTracer()
const reported: string[] = []
const app = express()
if (mode === 'traced') {
  app.use(tracingMiddleware({ tracer, onError: (_error, where) => reported.push(where) }))
}
app.get('/users/:id', (req, res) => {
  res.json({ id: req.params.id })
})
const options = { ...testCertificate(), allowHTTP1: true }
const running = await listenServer(http2.createSecureServer(options, app as never), 'https')
const client = await H2Session.connect(running.url)
const answer = await Promise.race([
  client.send('/users/7').then(
    ({ status, body }) => `${status} ${body}`,
    () => 'reset',
  ),
  sleep(500).then(() => 'no answer'),
])
client.cut()
await sleep(50)
await running.close()
const spans = tracer.spans().length
const openSpans = tracer.openSpans().length
process.stdout.write(JSON.stringify({ answer, escaped, spans, openSpans, reported }))
