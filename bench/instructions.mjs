// Instructions per request, counted by valgrind's callgrind: the one figure this noisy machine
// repeats (to about 1-3 % on Express, whose re-prototyped requests make V8's work vary, and
// better on Fastify), whatever else runs. Each variant's server runs under callgrind with
// instrumentation off while it warms up (so V8 has compiled the hot path), then counts a fixed
// number of sequential keep-alive requests. Only the server process is counted.
//
//   node bench/instructions.mjs [--only express-als,express-tracehop-noop] [--requests 3000]
//                               [--warmup 10000] [--repeat 2]
import { execFileSync, spawn } from 'node:child_process'
import { mkdtempSync, readFileSync, readdirSync, rmSync } from 'node:fs'
import http from 'node:http'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { parseArgs } from 'node:util'
import { variants } from './lib/variants.mjs'

const DEFAULT_VARIANTS = [
  'express-bare',
  'express-als',
  'express-tracehop-noop',
  'express-eot-noop',
  'express-tracehop-recording',
  'fastify-bare',
  'fastify-als',
  'fastify-tracehop-noop',
  'fastify-tracehop-recording',
]

const { values: args } = parseArgs({
  options: {
    only: { type: 'string' },
    requests: { type: 'string' },
    warmup: { type: 'string' },
    repeat: { type: 'string' },
  },
})
const names = args.only?.split(',') ?? DEFAULT_VARIANTS
const requests = Number(args.requests ?? 3000)
const warmup = Number(args.warmup ?? 10000)
const repeat = Number(args.repeat ?? 2)
const serverScript = new URL('./servers/server.cjs', import.meta.url).pathname

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
      env: { ...process.env, BENCH_VARIANT: JSON.stringify(variant.spec), BENCH_UDP_PORT: '9' },
      stdio: ['ignore', 'ignore', 'pipe', 'ipc'],
    },
  )
  let stderr = ''
  child.stderr.on('data', (chunk) => (stderr += chunk))
  const port = await new Promise((resolve, reject) => {
    child.on('message', (message) => message.type === 'ready' && resolve(message.port))
    child.once('exit', (code) => reject(new Error(`${variant.name} exited (${code}): ${stderr}`)))
  })
  const agent = new http.Agent({ keepAlive: true, maxSockets: 1 })
  try {
    await load(port, agent, warmup)
    execFileSync('callgrind_control', ['--instr=on', String(child.pid)], { stdio: 'ignore' })
    await load(port, agent, requests)
    execFileSync('callgrind_control', ['--dump', String(child.pid)], { stdio: 'ignore' })
  } finally {
    agent.destroy()
    child.kill('SIGKILL')
  }
  const dump = readdirSync(outDir).find((file) => file.startsWith(`${outFile.split('/').pop()}.`))
  const total = /^(?:summary|totals): (\d+)/m.exec(readFileSync(join(outDir, dump), 'utf8'))
  if (total === null) throw new Error(`no total in ${dump}`)
  return Number(total[1]) / requests
}

async function load(port, agent, count) {
  for (let i = 0; i < count; i++) {
    await new Promise((resolve, reject) => {
      const request = http.get({ host: '127.0.0.1', port, path: `/users/${i}`, agent }, (res) => {
        res.resume()
        res.once('end', resolve)
      })
      request.once('error', reject)
    })
  }
}

const outDir = mkdtempSync(join(tmpdir(), 'tracehop-callgrind-'))
const rows = []
try {
  for (const name of names) {
    const variant = variants.find((candidate) => candidate.name === name)
    if (variant === undefined) throw new Error(`no variant ${name}`)
    const counts = []
    for (let i = 0; i < repeat; i++) counts.push(await countOnce(variant, outDir))
    counts.sort((a, b) => a - b)
    rows.push({ name, baseline: variant.baseline, counts })
    console.error(`${name}: ${counts.map((count) => Math.round(count)).join(', ')}`)
  }
} finally {
  rmSync(outDir, { recursive: true, force: true })
}

const median = (counts) => counts[Math.floor((counts.length - 1) / 2)]
const thousands = (value) => `${(value / 1000).toFixed(1)}k`
const signed = (value) => `${value >= 0 ? '+' : ''}${thousands(value)}`
console.log(
  `Instructions per request (callgrind; ${requests} requests after ${warmup} warm-up; each ` +
    `count is one fresh server, deltas use their median, the lower for an even number):\n`,
)
console.log('| variant | instructions/request | Δ vs bare | Δ vs ALS floor |')
console.log('|---|---|---|---|')
for (const row of rows) {
  const bare = rows.find((candidate) => candidate.name === row.baseline)
  const als = rows.find((candidate) => candidate.name === row.baseline.replace(/-bare$/, '-als'))
  const value = median(row.counts)
  console.log(
    `| ${row.name} | ${row.counts.map(thousands).join(' / ')} | ` +
      `${bare === undefined ? '–' : signed(value - median(bare.counts))} | ` +
      `${als === undefined ? '–' : signed(value - median(als.counts))} |`,
  )
}
