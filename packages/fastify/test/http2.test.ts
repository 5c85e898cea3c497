// Fastify with `http2: true` and no TLS serves h2c alone: `allowHTTP1` picks HTTP/1.1 by ALPN,
// which only TLS has, and Node does not implement the `Upgrade: h2c` handshake. An HTTP/1.1 client
// fails at the protocol level, before Fastify or the plugin sees a request: no span is started.
// (The server contract runs the plugin on h2c, h2 and h2 with allowHTTP1.)
import assert from 'node:assert/strict'
import http from 'node:http'
import { describe, it } from 'node:test'
import { tracingPlugin } from '@tracehop/fastify'
import fastify5 from 'fastify'
import fastify4 from 'fastify4'
import type { FastifyModule } from '../../../test/support/fastify-app.js'
import { listenFastify } from '../../../test/support/net.js'
import { useRecordingTracer } from '../../../test/support/recording-tracer.js'

const majors: Array<[string, FastifyModule]> = [
  ['Fastify 5', fastify5 as FastifyModule],
  ['Fastify 4', fastify4 as unknown as FastifyModule],
]

for (const [label, fastify] of majors) {
  describe(`${label} on cleartext HTTP/2`, () => {
    const recording = useRecordingTracer()

    it('should refuse an HTTP/1.1 client before any request, allowHTTP1 or not, with no span', async () => {
      const app = fastify({ http2: true, http: { allowHTTP1: true } } as never)
      await app.register(tracingPlugin, { tracer: recording.tracer })
      app.get('/x', () => 'ok')
      recording.server = await listenFastify(app)
      const outcome = await new Promise<string>((resolve) => {
        const request = http.get(`${recording.server?.url}/x`, (response) => {
          response.resume()
          resolve(`answered ${response.statusCode}`)
        })
        request.on('error', (error: NodeJS.ErrnoException) => resolve(error.code ?? 'error'))
      })
      assert.equal(outcome, 'HPE_INVALID_CONSTANT')
      assert.deepEqual(recording.tracer.spans(), [])
    })
  })
}
