import http, { type IncomingHttpHeaders } from 'node:http'
import { after, before } from 'node:test'
import { listen, type RunningServer } from './net.js'
import { createServerFor, listenServer } from './transports.js'

/** What the echo server answers: the request it received. */
export interface Echo {
  method: string
  url: string
  headers: IncomingHttpHeaders
  /** Header lines as received, names as sent (to count duplicates). */
  rawHeaders: string[]
  body: string
}

/**
 * A server that answers every request with what it received, as JSON. `/status/:code` answers
 * that status; `/slow` answers after 300 ms.
 */
export async function startEchoServer(
  received: Echo[] = [],
  scheme: 'http' | 'https' = 'http',
): Promise<RunningServer & { received: Echo[] }> {
  const server = createServerFor(scheme, (req, res) => {
    let body = ''
    req.setEncoding('utf8')
    req.on('data', (chunk: string) => (body += chunk))
    req.on('end', () => {
      const echo: Echo = {
        method: req.method ?? '',
        url: req.url ?? '',
        headers: req.headers,
        rawHeaders: req.rawHeaders,
        body,
      }
      received.push(echo)
      const status = /^\/status\/(\d{3})/.exec(req.url ?? '')
      const reply = () => {
        res.writeHead(status ? Number(status[1]) : 200, { 'content-type': 'application/json' })
        res.end(JSON.stringify(echo))
      }
      if (req.url?.startsWith('/slow')) setTimeout(reply, 300)
      else reply()
    })
  })
  const running = await listenServer(server, scheme)
  return { ...running, received }
}

/** A loopback URL nothing listens on. */
export async function closedPortUrl(): Promise<string> {
  const server = await listen(http.createServer())
  await server.close()
  return server.url
}

/** An echo server started before the enclosing suite and closed after it. */
export interface EchoServer {
  readonly url: string
  readonly port: number
  /** Every request received, oldest first; clear it with `received.length = 0`. */
  readonly received: Echo[]
}

/** Starts an echo server for the enclosing describe() (before/after hooks); https: over TLS. */
export function useEchoServer(scheme: 'http' | 'https' = 'http'): EchoServer {
  const received: Echo[] = []
  let running: RunningServer | undefined
  before(async () => {
    running = await startEchoServer(received, scheme)
  })
  after(async () => {
    await running?.close()
  })
  const started = (): RunningServer => {
    if (running === undefined) throw new Error('the echo server is not started yet')
    return running
  }
  return {
    get url() {
      return started().url
    },
    get port() {
      return started().port
    },
    received,
  }
}
