// One measurement: a fresh server child for the variant, a warm-up, then the measured load with
// the server's own CPU time taken around it (process.cpuUsage() in the server, over IPC).
import { fileURLToPath } from 'node:url'
import { startNode } from './processes.mjs'

const SERVER = fileURLToPath(new URL('../servers/server.cjs', import.meta.url))
export const SERVER_CORE = 0
export const LOAD_CORE = 1

/**
 * The load generator, UDP sink and downstream service a server runs against, on the load core,
 * and the context startServer() and load() take; `stop()` ends the three.
 */
export async function startLoadHelpers({ duration, connections = 50 }) {
  const helpers = ['servers/udp-sink.cjs', 'servers/downstream.cjs', 'load.mjs'].map((script) =>
    startNode(fileURLToPath(new URL(`../${script}`, import.meta.url)), { core: LOAD_CORE }),
  )
  const [sink, downstream] = await Promise.all(helpers.map((helper) => helper.next('ready')))
  const context = {
    load: helpers[2],
    connections,
    duration,
    udpPort: sink.port,
    downstreamUrl: `http://127.0.0.1:${downstream.port}`,
  }
  return { context, stop: () => Promise.all(helpers.map((helper) => helper.stop())) }
}

/** A fresh server child for `variant`, listening; `url` is its benchmark route. */
export async function startServer(variant, context, nodeArgs = [], stdout = 'inherit') {
  const server = startNode(SERVER, {
    core: SERVER_CORE,
    nodeArgs,
    stdout,
    env: {
      BENCH_VARIANT: JSON.stringify(variant.spec),
      BENCH_UDP_PORT: String(context.udpPort),
      BENCH_DOWNSTREAM: context.downstreamUrl,
    },
  })
  const { port } = await server.next('ready')
  return { server, url: `http://127.0.0.1:${port}/users/42` }
}

/** Runs the load generator against `url`: for `context.duration` s, or `amount` requests. */
export function load(context, url, amount) {
  const size = amount === undefined ? { duration: context.duration } : { amount }
  return context.load.ask({ type: 'run', url, connections: context.connections, ...size }, 'result')
}

/** The figures of one round of `variant`. */
export async function measureRound(variant, context) {
  const { server, url } = await startServer(variant, context)
  try {
    await context.load.ask(
      { type: 'run', url, connections: context.connections, duration: context.warmup },
      'result',
    )
    await server.ask({ type: 'start' }, 'started')
    const result = await load(context, url)
    const stats = await server.ask({ type: 'stop' }, 'stopped')
    const completed = Math.max(result.completed, 1)
    return {
      cpuUsPerReq: stats.cpuUs / completed,
      rps: result.completed / result.seconds,
      p50: result.p50,
      p99: result.p99,
      rssMb: stats.rss / 2 ** 20,
      spansPerReq: stats.spans === null ? null : stats.spans / completed,
      serverCpuPercent: (stats.cpuUs / (result.seconds * 1e6)) * 100,
      loadCpuPercent: result.loadCpuPercent,
      failed: result.failed,
    }
  } finally {
    await server.stop()
  }
}

/** Heap used after a full GC, after `first` requests and again after `total`. */
export async function measureMemory(variant, context, first = 20_000, total = 200_000) {
  const { server, url } = await startServer(variant, context, ['--expose-gc'])
  try {
    const early = await load(context, url, first)
    const heapEarly = (await server.ask({ type: 'gc' }, 'heap')).heapUsed
    const late = await load(context, url, total - first)
    const heapLate = (await server.ask({ type: 'gc' }, 'heap')).heapUsed
    return {
      name: variant.name,
      first,
      total,
      heapEarlyMb: heapEarly / 2 ** 20,
      heapLateMb: heapLate / 2 ** 20,
      failed: early.failed + late.failed,
    }
  } finally {
    await server.stop()
  }
}
