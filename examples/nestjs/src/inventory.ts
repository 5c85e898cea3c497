import http, { type IncomingHttpHeaders } from 'node:http'
import type { AddressInfo } from 'node:net'

/** A stand-in inventory service on 127.0.0.1, and the headers of every request it received. */
export interface Inventory {
  url: string
  received: IncomingHttpHeaders[]
  close(): Promise<void>
}

/**
 * Starts the stand-in inventory (the next hop): `GET /stock/:id` answers `{"stock": 7}`, 404 for
 * the id `missing` and 503 for `broken`.
 */
export async function startInventory(): Promise<Inventory> {
  const received: IncomingHttpHeaders[] = []
  const server = http.createServer((req, res) => {
    received.push(req.headers)
    const id = req.url?.split('/').pop() ?? ''
    res.statusCode = id === 'missing' ? 404 : id === 'broken' ? 503 : 200
    res.setHeader('content-type', 'application/json').end(JSON.stringify({ stock: 7 }))
  })
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    received,
    close: () =>
      new Promise<void>((resolve, reject) => {
        server.close((error) => (error ? reject(error) : resolve()))
        server.closeAllConnections()
      }),
  }
}
