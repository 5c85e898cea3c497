// Behind proxies: the scheme and host in `http.url` and the peer tags follow X-Forwarded-Proto,
// -Host and -For exactly as the framework itself resolves them for the app (req.protocol, req.host
// or hostname, req.ip; request.protocol, host, ip; ctx.protocol, host, ip), through chains of
// hops, under every way each framework is told to trust its proxies; and a client the app does
// not trust changes no tag with them. The app answers /whoami with the framework's own view.
import assert from 'node:assert/strict'
import { isIP } from 'node:net'
import { describe, it } from 'node:test'
import { tracingMiddleware } from '@tracehop/express'
import { koaTracing } from '@tracehop/example-koa'
import { tracingPlugin } from '@tracehop/fastify'
import type { RecordingSpan } from '@tracehop/testing'
import type { Tracer } from 'opentracing'
import express5 from 'express'
import express4 from 'express4'
import fastify5 from 'fastify'
import fastify4 from 'fastify4'
import Koa from 'koa'
import type { ExpressModule } from '../support/express-app.js'
import type { FastifyModule } from '../support/fastify-app.js'
import { finishedSpans, listen, listenFastify, send, type RunningServer } from '../support/net.js'
import { useRecordingTracer } from '../support/recording-tracer.js'

/** The framework's own view of a request: `origin` is absent where it has no host with port. */
interface View {
  protocol: string
  hostname: string
  origin?: string
  ip: string
}

/** How an app trusts its proxies, in each framework's terms (undefined: not expressible). */
interface Trust {
  name: string
  express: unknown
  fastify: unknown
  koa: { proxy: boolean; maxIpsCount?: number } | undefined
  /** True when the test client (127.0.0.1) is trusted as a proxy. */
  peerTrusted: boolean
  /** Frameworks that trust no peer under this setting all the same. */
  declinedBy?: string[]
}

const TRUSTS: Trust[] = [
  { name: 'none', express: false, fastify: false, koa: { proxy: false }, peerTrusted: false },
  { name: 'every proxy', express: true, fastify: true, koa: { proxy: true }, peerTrusted: true },
  {
    name: 'two hops',
    express: 2,
    fastify: 2,
    koa: { proxy: true, maxIpsCount: 2 },
    peerTrusted: true,
    // A hop count cannot tell a proxy from a client sending enough hops: Fastify 5 trusts none.
    declinedBy: ['Fastify 5'],
  },
  {
    name: 'the loopback and 10.0.0.0/8',
    express: ['loopback', '10.0.0.0/8'],
    fastify: ['127.0.0.1', '10.0.0.0/8'],
    koa: undefined,
    peerTrusted: true,
  },
  {
    name: 'a subnet the client is not in',
    express: '10.0.0.0/8',
    fastify: '10.0.0.0/8',
    koa: undefined,
    peerTrusted: false,
  },
]

const HEADERS: Array<[string, Record<string, string>]> = [
  ['no forwarding header', {}],
  [
    'one proxy',
    {
      'x-forwarded-for': '203.0.113.7',
      'x-forwarded-proto': 'https',
      'x-forwarded-host': 'api.example.com',
    },
  ],
  [
    'three hops',
    {
      'x-forwarded-for': '203.0.113.7, 198.51.100.2, 10.0.0.3',
      'x-forwarded-proto': 'https',
      'x-forwarded-host': 'api.example.com:8443',
    },
  ],
  ['an IPv6 client two hops away', { 'x-forwarded-for': '2001:db8::7, 10.0.0.3' }],
  ['a non-address hop', { 'x-forwarded-for': 'unknown, 10.0.0.3' }],
  [
    'repeated proto and host values',
    {
      'x-forwarded-for': '203.0.113.7, 10.0.0.3',
      'x-forwarded-proto': 'https, http',
      'x-forwarded-host': 'edge.example, api.example.com',
    },
  ],
  ['RFC 7239 Forwarded alone', { forwarded: 'for=203.0.113.9;proto=https;host=fwd.example' }],
]

type Start = (trust: Trust, tracer: Tracer) => Promise<RunningServer> | undefined

function expressApp(express: ExpressModule, hostWithPort: boolean): Start {
  return (trust, tracer) => {
    const app = express()
    app.set('trust proxy', trust.express)
    app.use(tracingMiddleware({ tracer }))
    app.get('/whoami', (req, res) => {
      const origin = hostWithPort ? `${req.protocol}://${req.host}` : undefined
      res.json({ protocol: req.protocol, hostname: req.hostname, origin, ip: req.ip })
    })
    return listen(app)
  }
}

function fastifyApp(fastify: FastifyModule, major: 4 | 5): Start {
  return async (trust, tracer) => {
    const app = fastify({ trustProxy: trust.fastify as never, forceCloseConnections: true })
    await app.register(tracingPlugin, { tracer })
    app.get('/whoami', (request) => {
      // Fastify 4's `hostname` is the host with its port; 5 has `host` for that.
      const host = major === 5 ? request.host : request.hostname
      const hostname = major === 5 ? request.hostname : host.replace(/:\d+$/, '')
      return {
        protocol: request.protocol,
        hostname,
        origin: `${request.protocol}://${host}`,
        ip: request.ip,
      }
    })
    return listenFastify(app)
  }
}

const koaApp: Start = (trust, tracer) => {
  if (trust.koa === undefined) return undefined
  const app = new Koa({ proxy: trust.koa.proxy, maxIpsCount: trust.koa.maxIpsCount ?? 0 })
  app.use(koaTracing({ tracer }))
  app.use((ctx) => {
    const view: View = {
      protocol: ctx.protocol,
      hostname: ctx.hostname,
      origin: `${ctx.protocol}://${ctx.host}`,
      ip: ctx.ip,
    }
    ctx.body = view
  })
  const handle = app.callback()
  return listen((req, res) => void handle(req, res))
}

const FRAMEWORKS: Array<[string, Start]> = [
  ['Express 5', expressApp(express5, true)],
  ['Express 4', expressApp(express4 as unknown as ExpressModule, false)],
  ['Fastify 5', fastifyApp(fastify5 as FastifyModule, 5)],
  ['Fastify 4', fastifyApp(fastify4 as unknown as FastifyModule, 4)],
  ['Koa', koaApp],
]

// The tags the span must carry, from what the framework told the app.
function assertTagsFollow(span: RecordingSpan, view: View, localPort: number | undefined): void {
  const url = String(span.tags['http.url'])
  assert.ok(url.startsWith(`${view.protocol}://`), `${url} is not ${view.protocol}`)
  assert.equal(new URL(url).hostname, view.hostname)
  if (view.origin !== undefined) assert.equal(url, `${view.origin}/whoami`)
  const version = isIP(view.ip)
  assert.equal(span.tags['peer.ipv4'], version === 4 ? view.ip : undefined)
  assert.equal(span.tags['peer.ipv6'], version === 6 ? view.ip : undefined)
  // The socket's port belongs to the client only when the client is the socket's peer.
  assert.equal(span.tags['peer.port'], view.ip === '127.0.0.1' ? localPort : undefined)
}

for (const [framework, start] of FRAMEWORKS) {
  describe(`${framework} behind proxies`, () => {
    const recording = useRecordingTracer()

    for (const trust of TRUSTS) {
      it(`should tag what ${framework} resolves when it trusts ${trust.name}`, async (t) => {
        const server = await start(trust, recording.tracer)
        if (server === undefined) return t.skip(`${framework} has no such setting`)
        recording.server = server
        const peerTrusted = trust.peerTrusted && !(trust.declinedBy ?? []).includes(framework)
        for (const [label, headers] of HEADERS) {
          recording.tracer.reset()
          const response = await send(`${server.url}/whoami`, { headers })
          const view = JSON.parse(response.body) as View
          const [span] = await finishedSpans(recording.tracer)
          assert.ok(span !== undefined)
          try {
            if (!peerTrusted) {
              // Headers from a client the app does not trust change no tag.
              assert.equal(span.tags['http.url'], `${server.url}/whoami`)
              assert.equal(span.tags['peer.ipv4'], '127.0.0.1')
              assert.equal(span.tags['peer.port'], response.localPort)
            }
            // Except there: Fastify 4 itself takes X-Forwarded-Proto and -Host from any peer once
            // trustProxy is set, which tracehop does not follow.
            if (peerTrusted || framework !== 'Fastify 4' || trust.fastify === false) {
              assertTagsFollow(span, view, response.localPort)
            }
            if (peerTrusted && label === 'three hops') {
              assert.match(String(span.tags['http.url']), /^https:\/\/api\.example\.com:8443\//)
              assert.notEqual(span.tags['peer.ipv4'], '127.0.0.1')
            }
          } catch (error) {
            ;(error as Error).message = `${label}: ${(error as Error).message}`
            throw error
          }
        }
      })
    }
  })
}
