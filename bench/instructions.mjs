// Instructions per request, counted by valgrind's callgrind: the one figure this noisy machine
// repeats (closely, once each count covers whole major GC cycles), whatever else runs.
// Each variant's server runs under callgrind with instrumentation off while it warms up (so V8
// has compiled the hot path), then counts sequential keep-alive requests: a fixed number, or
// whole major GC cycles where they come that often (see countOnce). Only the server process is
// counted. Each bare server is also timed natively (user CPU per request, same load), which turns
// counts into µs for the targets printed at the end (bench/lib/instruction-targets.mjs). A run
// of the default set rewrites bench/results/instructions.md; every run is saved in bench/out/ as
// JSON, which --from re-renders.
//
//   node bench/instructions.mjs [--only express-als,express-tracehop-noop] [--requests 3000]
//                               [--warmup 30000] [--repeat 3] [--from bench/out/instructions-<date>.json]
import { execFileSync, spawn } from 'node:child_process'
import { mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs'
import http from 'node:http'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { parseArgs } from 'node:util'
import { instructionTargets, signed, thousands } from './lib/instruction-targets.mjs'
import { startNode } from './lib/processes.mjs'
import { median } from './lib/stats.mjs'
import { variants } from './lib/variants.mjs'

// What the targets need: each framework's bare, ALS floor and no-op variants, the jaeger-client
// pair and the OTel pairs (only bounded by counts: see instruction-targets.mjs).
const DEFAULT_VARIANTS = [
  ...['express', 'express4', 'fastify', 'fastify4'].flatMap((framework) =>
    ['bare', 'als', 'tracehop-noop'].map((suffix) => `${framework}-${suffix}`),
  ),
  'express-tracehop-jaeger',
  'express-eot-jaeger',
  'express-tracehop-otelshim',
  'express-otel-auto',
  'fastify-tracehop-otelshim',
  'fastify-otel-http',
  'fastify-otel',
]

const { values: args } = parseArgs({
  options: {
    only: { type: 'string' },
    requests: { type: 'string' },
    warmup: { type: 'string' },
    repeat: { type: 'string' },
    from: { type: 'string' },
  },
})
const names = args.only?.split(',') ?? DEFAULT_VARIANTS
const requests = Number(args.requests ?? 3000)
const warmup = Number(args.warmup ?? 30000)
// Express counts drift between fresh servers: three each, and their median.
const repeat = Number(args.repeat ?? 3)
const here = (path) => fileURLToPath(new URL(path, import.meta.url))
const serverScript = here('servers/server.cjs')

/** Instructions per request of one fresh server of `variant`. */
async function countOnce(variant, outDir) {
  const outFile = join(outDir, `callgrind.${variant.name}.${Date.now()}`)
  const child = spawn(
    'valgrind',
    [
      '--tool=callgrind',
      '--smc-check=all-non-file', // V8 writes code at run time
      '--instr-atstart=no',
      `--callgrind-out-file=${outFile}`,
      process.execPath,
      // V8 compiles and collects on the main thread: the count does not depend on scheduling.
      '--single-threaded',
      serverScript,
    ],
    {
      env: {
        ...process.env,
        BENCH_VARIANT: JSON.stringify(variant.spec),
        BENCH_UDP_PORT: '9',
        BENCH_REPORT_MAJOR_GC: '1',
      },
      stdio: ['ignore', 'ignore', 'pipe', 'ipc'],
    },
  )
  let stderr = ''
  child.stderr.on('data', (chunk) => (stderr += chunk))
  const gcs = { major: 0 }
  const port = await new Promise((resolve, reject) => {
    child.on('message', (message) => {
      if (message.type === 'ready') resolve(message.port)
      else if (message.type === 'major-gc') gcs.major++
    })
    child.once('exit', (code) => reject(new Error(`${variant.name} exited (${code}): ${stderr}`)))
  })
  const agent = new http.Agent({ keepAlive: true, maxSockets: 1 })
  let measured = requests
  let cycles = 0
  try {
    await load(port, agent, warmup)
    // Express promotes enough per request for a major GC every few thousand requests: a fixed
    // window holds one or two of them, which split counts into two modes. So the window starts
    // right after a major GC and ends right after the first one past `requests`: whole GC cycles,
    // each paid for in full. Where none comes within 3 x `requests` (Fastify), the window is the
    // fixed one.
    const before = gcs.major
    await load(port, agent, 3 * requests, () => gcs.major > before)
    const aligned = gcs.major > before
    execFileSync('callgrind_control', ['--instr=on', String(child.pid)], { stdio: 'ignore' })
    const start = gcs.major
    await load(port, agent, requests)
    if (aligned) {
      const mark = gcs.major
      measured += await load(port, agent, 3 * requests, () => gcs.major > mark)
      cycles = gcs.major - start
    }
    execFileSync('callgrind_control', ['--dump', String(child.pid)], { stdio: 'ignore' })
  } finally {
    agent.destroy()
    child.kill('SIGKILL')
  }
  const dump = readdirSync(outDir).find((file) => file.startsWith(`${outFile.split('/').pop()}.`))
  const total = /^(?:summary|totals): (\d+)/m.exec(readFileSync(join(outDir, dump), 'utf8'))
  if (total === null) throw new Error(`no total in ${dump}`)
  const compiling = compilerInstructions(join(outDir, dump))
  return {
    perRequest: (Number(total[1]) - compiling) / measured,
    compiling: compiling / measured,
    requests: measured,
    majorGcs: cycles,
  }
}

// V8's optimizing compiler can still be at work after the warm-up (the OTel SDK variants are
// still compiling under valgrind's slow clock). It runs on background threads in a real server
// and stops once the hot code is optimized, so it is counted apart: the figure per request is the
// steady state's.
const COMPILER = /v8::internal::(?:compiler|maglev|turboshaft)::/

function compilerInstructions(dumpFile) {
  const listing = execFileSync('callgrind_annotate', ['--threshold=100', dumpFile], {
    encoding: 'utf8',
    maxBuffer: 256 * 2 ** 20,
  })
  let sum = 0
  for (const line of listing.split('\n')) {
    const match = /^\s*([\d,]+) \(/.exec(line)
    if (match !== null && COMPILER.test(line)) sum += Number(match[1].replaceAll(',', ''))
  }
  return sum
}

/** User and total (user + system) CPU µs per request of a native server of `variant`, same load. */
async function userTimeOnce(variant) {
  const server = startNode(serverScript, {
    core: 0,
    env: { BENCH_VARIANT: JSON.stringify(variant.spec), BENCH_UDP_PORT: '9' },
  })
  const agent = new http.Agent({ keepAlive: true, maxSockets: 1 })
  try {
    const { port } = await server.next('ready')
    await load(port, agent, warmup)
    await server.ask({ type: 'start' }, 'started')
    await load(port, agent, requests)
    const { userUs, cpuUs } = await server.ask({ type: 'stop' }, 'stopped')
    return { userUs: userUs / requests, cpuUs: cpuUs / requests }
  } finally {
    agent.destroy()
    await server.stop()
  }
}

/** Sends `count` requests one after another, fewer if `until()` turns true; returns how many. */
async function load(port, agent, count, until = () => false) {
  for (let i = 0; i < count; i++) {
    if (until()) return i
    await new Promise((resolve, reject) => {
      const request = http.get({ host: '127.0.0.1', port, path: `/users/${i}`, agent }, (res) => {
        res.resume()
        res.once('end', resolve)
      })
      request.once('error', reject)
    })
  }
  return count
}

// `3000` for a fixed window, `5412 (2)` for one over whole cycles of 2 major GCs.
const describeWindow = ({ requests, majorGcs }) =>
  majorGcs > 0 ? `${requests} (${majorGcs})` : String(requests)

// The median of sorted counts, the lower of the two middle ones for an even number.
const lowerMedian = (counts) => counts[Math.floor((counts.length - 1) / 2)]

async function countAll() {
  const outDir = mkdtempSync(join(tmpdir(), 'tracehop-callgrind-'))
  const rows = []
  try {
    for (const name of names) {
      const variant = variants.find((candidate) => candidate.name === name)
      if (variant === undefined) throw new Error(`no variant ${name}`)
      const runs = []
      for (let i = 0; i < repeat; i++) runs.push(await countOnce(variant, outDir))
      runs.sort((a, b) => a.perRequest - b.perRequest)
      const counts = runs.map((run) => run.perRequest)
      const compiling = Math.max(...runs.map((run) => run.compiling))
      const windows = runs.map((run) => ({ requests: run.requests, majorGcs: run.majorGcs }))
      rows.push({ name, baseline: variant.baseline, counts, compiling, windows })
      console.error(
        `${name}: ${counts.map((count) => Math.round(count)).join(', ')} (compiling, at most: ` +
          `${Math.round(compiling)}; windows: ${windows.map(describeWindow).join(', ')})`,
      )
    }
  } finally {
    rmSync(outDir, { recursive: true, force: true })
  }
  return rows
}

// Natively timed bare servers, for the targets in µs: three fresh servers each, the median.
async function timeBareServers(rows) {
  const rates = {}
  for (const row of rows.filter((candidate) => candidate.name === candidate.baseline)) {
    const framework = row.name.replace(/-bare$/, '')
    if (!rows.some((candidate) => candidate.name === `${framework}-tracehop-noop`)) continue
    const variant = variants.find((candidate) => candidate.name === row.name)
    const times = []
    for (let i = 0; i < 3; i++) times.push(await userTimeOnce(variant))
    const instructions = lowerMedian(row.counts)
    const userUs = median(times.map((time) => time.userUs))
    const cpuUs = median(times.map((time) => time.cpuUs))
    rates[framework] = { instructions, userUs, cpuUs, perUs: instructions / userUs }
    console.error(
      `${row.name}: ${times.map((time) => `${time.userUs.toFixed(1)} (${time.cpuUs.toFixed(1)})`).join(', ')} µs user (total) CPU/request`,
    )
  }
  return rates
}

function render({ date, node, requests, warmup, rows, rates }) {
  const report = [
    `Counted by \`npm run bench:instructions\` (bench/instructions.mjs) on ${date}, Node ${node}. ` +
      `Instructions per request (callgrind, after ${warmup} warm-up requests; each count is one ` +
      `fresh server, deltas use their median, the lower for an even number; V8's optimizing ` +
      `compiler, still at work in some servers, is left out and shown apart). Each count covers ` +
      `${requests} requests, or, where major GCs come within 3 x that many (Express), whole major GC ` +
      `cycles: from just after one to just after the first past ${requests} requests; the ` +
      `windows column gives requests (major GCs) per server:`,
    '',
    '| variant | instructions/request | Δ vs bare | Δ vs ALS floor | compiling, left out (max) | windows |',
    '|---|---|---|---|---|---|',
  ]
  for (const row of rows) {
    const bare = rows.find((candidate) => candidate.name === row.baseline)
    const als = rows.find((candidate) => candidate.name === row.baseline.replace(/-bare$/, '-als'))
    const value = lowerMedian(row.counts)
    report.push(
      `| ${row.name} | ${row.counts.map(thousands).join(' / ')} | ` +
        `${bare === undefined ? '–' : signed(value - lowerMedian(bare.counts))} | ` +
        `${als === undefined ? '–' : signed(value - lowerMedian(als.counts))} | ` +
        `${thousands(row.compiling)} | ${row.windows?.map(describeWindow).join(' / ') ?? requests} |`,
    )
  }
  const medians = new Map(rows.map((row) => [row.name, lowerMedian(row.counts)]))
  const targets = instructionTargets(medians, new Map(Object.entries(rates)))
  report.push(
    '',
    ...targets.map(({ verdict, label, detail }) => `- **${verdict}** ${label}: ${detail}`),
  )
  return report.join('\n')
}

// --from re-renders a saved run (after a change to the targets) without counting again.
let run
if (args.from === undefined) {
  const rows = await countAll()
  const rates = await timeBareServers(rows)
  const date = new Date().toISOString()
  run = {
    date,
    node: process.version,
    requests,
    warmup,
    full: args.only === undefined,
    rows,
    rates,
  }
  mkdirSync(here('out'), { recursive: true })
  const saved = here(`out/instructions-${date.replace(/[:.]/g, '-')}.json`)
  writeFileSync(saved, `${JSON.stringify(run, null, 2)}\n`)
  console.error(`counts saved to ${saved}`)
} else {
  run = JSON.parse(readFileSync(args.from, 'utf8'))
}
const report = render(run)
console.log(report)
// A run of the default set rewrites its own generated file, never hand-written text.
if (run.full) {
  const resultsPath = here('results/instructions.md')
  mkdirSync(here('results'), { recursive: true })
  writeFileSync(resultsPath, instructionsFile(report))
  console.log(`\ncounts written to ${resultsPath}`)
}

function instructionsFile(report) {
  return `# tracehop benchmarks: the last instruction count

Generated by \`npm run bench:instructions\` (bench/instructions.mjs), and rewritten whole by each
run of the default set: do not edit. What the counts show is in [RESULTS.md](../RESULTS.md).

${report}
`
}
