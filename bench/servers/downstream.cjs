'use strict'
// The downstream service of the client-side variants: plain node:http, as cheap as it gets.
const http = require('node:http')

const server = http.createServer((req, res) => {
  const id = req.url.slice(req.url.lastIndexOf('/') + 1)
  res.setHeader('content-type', 'application/json')
  res.end(JSON.stringify({ id, name: `user ${id}`, active: true }))
})
// The runner's children end with it, even when it dies before it can stop them.
process.once('disconnect', () => process.exit(0))
server.listen(0, '127.0.0.1', () => process.send({ type: 'ready', port: server.address().port }))
