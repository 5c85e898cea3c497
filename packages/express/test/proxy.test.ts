// What the middleware reads on `req` for proxies: Express's req.ip and req.protocol walk the
// X-Forwarded-For chain through the app's trust function, and each read on `req` misses V8's
// caches. They are read only when the app trusts a proxy; the default path reads the socket alone.
import assert from 'node:assert/strict'
import { describe, it } from 'node:test'
import { tracingMiddleware } from '@tracehop/express'
import express5 from 'express'
import express4 from 'express4'
import type { ExpressModule } from '../../../test/support/express-app.js'
import { finishedSpans, listen, send } from '../../../test/support/net.js'
import { useRecordingTracer } from '../../../test/support/recording-tracer.js'

const PROXY_GETTERS = ['ip', 'ips', 'protocol', 'hostname', 'host', 'secure'] as const

// Counts the reads of Express's proxy-aware getters on the requests of `app`.
function countReads(express: ExpressModule, app: ReturnType<ExpressModule>): Map<string, number> {
  const reads = new Map<string, number>()
  for (const name of PROXY_GETTERS) {
    if (!(name in express.request)) continue
    Object.defineProperty(app.request, name, {
      configurable: true,
      get(this: object): unknown {
        reads.set(name, (reads.get(name) ?? 0) + 1)
        return Reflect.get(express.request, name, this)
      },
    })
  }
  return reads
}

const majors: Array<[string, ExpressModule]> = [
  ['Express 5', express5],
  ['Express 4', express4 as unknown as ExpressModule],
]

for (const [label, express] of majors) {
  describe(`${label}: proxy-derived values`, () => {
    const recording = useRecordingTracer()
    const headers = {
      'x-forwarded-for': '203.0.113.7, 10.0.0.3',
      'x-forwarded-proto': 'https',
      'x-forwarded-host': 'api.example.com',
    }

    // A traced app trusting `trustProxy`; the reads of its proxy getters for one request.
    async function readsForOneRequest(trustProxy: unknown) {
      const app = express()
      app.set('trust proxy', trustProxy)
      const reads = countReads(express, app)
      app.use(tracingMiddleware({ tracer: recording.tracer }))
      app.get('/x', (_req, res) => res.send('ok'))
      recording.server = await listen(app)
      await send(`${recording.server.url}/x`, { headers })
      const [span] = await finishedSpans(recording.tracer)
      return { reads, span }
    }

    it('should read none of them when the app trusts no proxy', async () => {
      const { reads, span } = await readsForOneRequest(false)
      assert.equal(span?.tags['http.url'], `${recording.server?.url}/x`)
      assert.deepEqual([...reads], [])
    })

    it('should read req.protocol and req.ip once each when it trusts one', async () => {
      const { reads, span } = await readsForOneRequest(1)
      assert.equal(span?.tags['http.url'], 'https://api.example.com/x')
      assert.equal(span?.tags['peer.ipv4'], '10.0.0.3')
      assert.equal(span?.tags['peer.port'], undefined)
      assert.deepEqual(Object.fromEntries(reads), { protocol: 1, ip: 1 })
    })
  })
}
