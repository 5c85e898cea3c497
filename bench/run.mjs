// npm run bench: tracehop's overhead against the bare frameworks and the alternatives.
//   node bench/run.mjs [--quick] [--only express,fastify-otel] [--rounds 5] [--duration 3]
//                      [--warmup 5] [--connections 50] [--no-memory]
// A full run (no --quick, no --only) rewrites bench/results/cpu-time.md; others write bench/out/.
import { execSync } from 'node:child_process'
import { existsSync, mkdirSync, writeFileSync } from 'node:fs'
import { fileURLToPath } from 'node:url'
import { parseArgs } from 'node:util'
import { LOAD_CORE, measureMemory, measureRound } from './lib/measure.mjs'
import { canPin, startNode } from './lib/processes.mjs'
import { CPU_TIME_REPORT, printTargets, renderReport } from './lib/report.mjs'
import { summarize } from './lib/stats.mjs'
import { evaluateTargets } from './lib/targets.mjs'
import { memoryVariants, selectVariants, variants as allVariants } from './lib/variants.mjs'

const here = (path) => fileURLToPath(new URL(path, import.meta.url))

const { values: args } = parseArgs({
  options: {
    quick: { type: 'boolean', default: false },
    only: { type: 'string' },
    rounds: { type: 'string' },
    duration: { type: 'string' },
    warmup: { type: 'string' },
    connections: { type: 'string', default: '50' },
    'no-memory': { type: 'boolean', default: false },
  },
})
const only = args.only?.split(',').map((filter) => filter.trim())
const settings = {
  rounds: Number(args.rounds ?? (args.quick ? 1 : 5)),
  duration: Number(args.duration ?? (args.quick ? 1 : 3)),
  // V8 is still optimizing well into the load (the heavier variants keep compiling functions for
  // seconds: see --trace-opt), and its compiler threads share the server's core: a short warm-up
  // times the JIT.
  warmup: Number(args.warmup ?? (args.quick ? 0.5 : 5)),
  connections: Number(args.connections),
  pinned: canPin,
  date: new Date().toISOString(),
}
const full = !args.quick && only === undefined
const selected = selectVariants(only)
const runMemory = !args['no-memory'] && (only === undefined || only.includes('memory'))
const memoryRuns = runMemory ? allVariants.filter((v) => memoryVariants.includes(v.name)) : []

// The bench's own dependencies live in bench/node_modules, out of the root lockfile.
if (!existsSync(here('node_modules/autocannon'))) {
  execSync('npm ci --prefix bench --no-audit --no-fund', { stdio: 'inherit', cwd: here('..') })
}

async function startHelper(script) {
  const helper = startNode(here(script), { core: LOAD_CORE })
  return { helper, ready: await helper.next('ready') }
}

const sink = await startHelper('servers/udp-sink.cjs')
const downstream = await startHelper('servers/downstream.cjs')
const load = await startHelper('load.mjs')
const context = {
  ...settings,
  load: load.helper,
  udpPort: sink.ready.port,
  downstreamUrl: `http://127.0.0.1:${downstream.ready.port}`,
}

const perMeasurement = settings.duration + settings.warmup + 1
console.log(
  `${selected.length} variants x ${settings.rounds} rounds, about ${Math.ceil((selected.length * settings.rounds * perMeasurement) / 60)} min${memoryRuns.length > 0 ? ' plus the memory run' : ''}`,
)

const rounds = new Map(selected.map((variant) => [variant.name, []]))
for (let round = 0; round < settings.rounds; round++) {
  // Each round starts at another variant, so a slow stretch of the machine hits all of them.
  const offset = Math.round((round * selected.length) / settings.rounds)
  const order = [...selected.slice(offset), ...selected.slice(0, offset)]
  for (const variant of order) {
    const record = await measureRound(variant, context)
    rounds.get(variant.name)[round] = record
    console.log(
      `[${round + 1}/${settings.rounds}] ${variant.name}: ${record.cpuUsPerReq.toFixed(1)} µs/req, ${record.rps.toFixed(0)} req/s${record.failed > 0 ? `, ${record.failed} failed` : ''}`,
    )
  }
}

const memory = []
for (const variant of memoryRuns) {
  const run = await measureMemory(variant, context)
  memory.push(run)
  console.log(
    `memory ${run.name}: ${run.heapEarlyMb.toFixed(1)} -> ${run.heapLateMb.toFixed(1)} MB`,
  )
}
const packets = (await sink.helper.ask({ type: 'count' }, 'count')).packets
await Promise.all([sink, downstream, load].map(({ helper }) => helper.stop()))

const rows = selected.map((variant) =>
  summarize(variant, rounds.get(variant.name), rounds.get(variant.baseline)),
)
const byName = new Map(rows.map((row) => [row.name, row]))
const targets = evaluateTargets(byName, rounds, memory)
console.log(`\njaeger-client UDP packets received by the sink: ${packets}\n`)
printTargets(targets)

const resultsPath = here(CPU_TIME_REPORT)
mkdirSync(here('out'), { recursive: true })
mkdirSync(here('results'), { recursive: true })
const stamp = settings.date.replace(/[:.]/g, '-')
writeFileSync(
  here(`out/raw-${stamp}.json`),
  JSON.stringify({ settings, rounds: Object.fromEntries(rounds), memory }, null, 2),
)
const report = renderReport({
  rows,
  targets,
  memory,
  settings,
})
const reportPath = full ? resultsPath : here('out/RESULTS-partial.md')
writeFileSync(reportPath, report)
console.log(`\nreport written to ${reportPath}`)
