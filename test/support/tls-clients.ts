// Clients of the TLS test servers: a node:https agent (axios) and an undici dispatcher (fetch)
// that trust the test certificate and, given a port, connect every request to 127.0.0.1 on it
// whatever the URL's host and port, so that `https://api.tracehop.test/…` (port 443 by default)
// reaches a loopback server with its name, SNI and Host header intact.
import https from 'node:https'
import tls from 'node:tls'
import { Agent } from 'undici'
import { testCertificate } from './tls.js'

/** A node:https agent trusting the test certificate; connecting to `connectTo` when given. */
export function testHttpsAgent(connectTo?: number): https.Agent {
  const agent = new https.Agent({ ca: testCertificate().cert, keepAlive: false })
  if (connectTo === undefined) return agent
  const connect = agent.createConnection.bind(agent)
  agent.createConnection = (options, callback) =>
    connect({ ...options, host: '127.0.0.1', port: connectTo }, callback)
  return agent
}

/** An undici dispatcher trusting the test certificate; connecting to `connectTo` when given. */
export function testDispatcher(connectTo?: number): Agent {
  const ca = testCertificate().cert
  if (connectTo === undefined) return new Agent({ connect: { ca } })
  return new Agent({
    connect: (options, callback) => {
      const socket = tls.connect({
        host: '127.0.0.1',
        port: connectTo,
        servername: options.servername || options.hostname,
        ca,
      })
      socket.once('secureConnect', () => callback(null, socket))
      socket.once('error', (error: Error) => callback(error, null))
      return socket
    },
  })
}
