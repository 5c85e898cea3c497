// The load generator, a long-lived child process of the runner (pinned to its own core): each
// 'run' message fires autocannon at a server and answers with the figures and its own CPU use.
import process from 'node:process'
import autocannon from 'autocannon'

// The runner's children end with it, even when it dies before it can stop them.
process.once('disconnect', () => process.exit(0))

function fire(options) {
  return new Promise((resolve, reject) => {
    autocannon(options, (error, result) => (error ? reject(error) : resolve(result)))
  })
}

process.on('message', async (message) => {
  if (message.type !== 'run') return
  const started = process.hrtime.bigint()
  const cpu = process.cpuUsage()
  const result = await fire({
    url: message.url,
    connections: message.connections,
    pipelining: 1,
    // Either a duration (seconds) or a fixed number of requests (the memory run).
    ...(message.amount === undefined ? { duration: message.duration } : { amount: message.amount }),
  })
  const used = process.cpuUsage(cpu)
  const wallUs = Number(process.hrtime.bigint() - started) / 1000
  process.send({
    type: 'result',
    completed: result['2xx'],
    failed: result.errors + result.timeouts + result.non2xx,
    seconds: wallUs / 1e6,
    p50: result.latency.p50,
    p99: result.latency.p99,
    loadCpuPercent: ((used.user + used.system) / wallUs) * 100,
  })
})
process.send({ type: 'ready' })
