'use strict'
// Where jaeger-client's UDP reporter sends its spans: a loopback socket that counts and drops.
const dgram = require('node:dgram')

const socket = dgram.createSocket('udp4')
let packets = 0
socket.on('message', () => packets++)
// The runner's children end with it, even when it dies before it can stop them.
process.once('disconnect', () => process.exit(0))
socket.bind(0, '127.0.0.1', () => process.send({ type: 'ready', port: socket.address().port }))
process.on('message', (message) => {
  if (message.type === 'count') process.send({ type: 'count', packets })
})
