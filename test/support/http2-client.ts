// An HTTP/2 client for the tests: one session to a test server (h2c for `http://`, h2 over TLS
// trusting the test certificate for `https://`), with the ways a client ends a stream early.
import http2, { type ClientHttp2Stream, type OutgoingHttpHeaders } from 'node:http2'
import net from 'node:net'
import tls from 'node:tls'
import { testCertificate } from './tls.js'

/** A stream's response, read whole. */
export interface StreamResponse {
  status: number
  headers: http2.IncomingHttpHeaders
  body: string
}

/** Options of one request on the session. */
export interface StreamRequest {
  method?: string
  headers?: OutgoingHttpHeaders
  body?: string
}

/** One HTTP/2 session; the TCP connection under it is kept to cut it as a vanished client would. */
export class H2Session {
  private constructor(
    readonly session: http2.ClientHttp2Session,
    private readonly socket: net.Socket,
  ) {}

  /** Connects to `origin`; resolves once the session is up. */
  static async connect(origin: string): Promise<H2Session> {
    const { hostname, port, protocol } = new URL(origin)
    const socket =
      protocol === 'https:'
        ? tls.connect({
            host: hostname,
            port: Number(port),
            ALPNProtocols: ['h2'],
            ca: testCertificate().cert,
          })
        : net.connect(Number(port), hostname)
    const session = http2.connect(origin, { createConnection: () => socket })
    session.on('error', () => undefined)
    await new Promise<void>((resolve, reject) => {
      session.once('connect', () => resolve())
      session.once('error', reject)
    })
    return new H2Session(session, socket)
  }

  /** The client's port, which the server sees as the peer's. */
  get localPort(): number | undefined {
    return this.socket.localPort
  }

  /** Opens a stream; the caller ends it or resets it. Stream errors are the caller's to expect. */
  open(path: string, request: StreamRequest = {}): ClientHttp2Stream {
    const stream = this.session.request({
      ':method': request.method ?? 'GET',
      ':path': path,
      ...request.headers,
    })
    stream.on('error', () => undefined)
    stream.end(request.body)
    return stream
  }

  /** Sends a request and reads its whole response. */
  send(path: string, request: StreamRequest = {}): Promise<StreamResponse> {
    return new Promise((resolve, reject) => {
      const stream = this.open(path, request)
      let headers: http2.IncomingHttpHeaders = {}
      let body = ''
      stream.setEncoding('utf8')
      stream.on('response', (received) => (headers = received))
      stream.on('data', (chunk: string) => (body += chunk))
      stream.on('end', () => resolve({ status: Number(headers[':status']), headers, body }))
      stream.on('error', reject)
    })
  }

  /** Opens a stream and resets it (RST_STREAM CANCEL) after `ms`, before any response. */
  async resetAfter(path: string, ms: number): Promise<void> {
    const stream = this.open(path)
    await new Promise((resolve) => setTimeout(resolve, ms))
    await resetStream(stream)
  }

  /** Opens a stream and resets it once the response headers and a first chunk arrived. */
  async resetAfterFirstChunk(path: string): Promise<void> {
    const stream = this.open(path)
    await new Promise((resolve) => stream.once('data', resolve))
    await resetStream(stream)
  }

  /** Closes the session gracefully (GOAWAY), letting open streams complete. */
  close(): Promise<void> {
    return new Promise((resolve) => this.session.close(() => resolve()))
  }

  /** Destroys the TCP connection under the session, streams open or not. */
  cut(): void {
    this.socket.destroy()
  }
}

function resetStream(stream: ClientHttp2Stream): Promise<void> {
  return new Promise((resolve) => stream.close(http2.constants.NGHTTP2_CANCEL, () => resolve()))
}
