// npm run bench -- is for figures; this is for finding where they go:
//   node bench/profile.mjs express-tracehop-noop [seconds]
// runs the variant under load with --cpu-prof, writes the profile to bench/out/, and prints the
// functions with the most self time and the share of samples under tracehop's own code.
import { readdirSync, readFileSync, mkdirSync } from 'node:fs'
import process from 'node:process'
import { fileURLToPath } from 'node:url'
import { load, startLoadHelpers, startServer } from './lib/measure.mjs'
import { variants } from './lib/variants.mjs'

const [name = 'express-tracehop-noop', seconds = '5'] = process.argv.slice(2)
const variant = variants.find((candidate) => candidate.name === name)
if (variant === undefined) throw new Error(`no variant ${name}`)
const out = fileURLToPath(new URL('out/', import.meta.url))
mkdirSync(out, { recursive: true })

const { context, stop } = await startLoadHelpers({ duration: Number(seconds) })
const prefix = `${name}-${Date.now()}`
const { server, url } = await startServer(variant, context, [
  '--cpu-prof',
  `--cpu-prof-dir=${out}`,
  `--cpu-prof-name=${prefix}.cpuprofile`,
])
await load({ ...context, duration: 1 }, url) // warm-up, in the profile too but small
await load(context, url)
const exited = new Promise((resolve) => server.child.once('exit', resolve))
server.child.send({ type: 'exit' })
await exited
await stop()

const file = readdirSync(out).find((entry) => entry.startsWith(prefix))
const profile = JSON.parse(readFileSync(`${out}${file}`, 'utf8'))
const nodes = new Map(profile.nodes.map((node) => [node.id, node]))
const parents = new Map()
for (const node of profile.nodes)
  for (const child of node.children ?? []) parents.set(child, node.id)
// Each sample goes to the nearest frame on its stack that is tracehop's, a tracer's or the app's
// (framework included); Node's internals in between count for whoever called them.
function owner(frame) {
  const url = frame.url
  if (/packages\/[a-z]+\/dist|@tracehop/.test(url)) return 'tracehop'
  if (/opentracing|jaeger-client|@opentelemetry|@fastify\/otel/.test(url)) return 'tracer'
  if (url.includes('node_modules') || url.includes('/bench/')) return 'app'
  return undefined
}
const self = new Map()
const owners = new Map()
let total = 0
profile.samples.forEach((id, index) => {
  const delta = profile.timeDeltas[index] ?? 0
  total += delta
  const frame = nodes.get(id).callFrame
  const key = `${frame.functionName || '(anonymous)'} ${frame.url.replace(/.*node_modules\//, '').replace(/.*\/packages\//, 'packages/')}:${frame.lineNumber + 1}`
  self.set(key, (self.get(key) ?? 0) + delta)
  let who = 'node (no JS caller: GC, idle, I/O)'
  for (let at = id; at !== undefined; at = parents.get(at)) {
    const found = owner(nodes.get(at).callFrame)
    if (found !== undefined) {
      who = found
      break
    }
  }
  owners.set(who, (owners.get(who) ?? 0) + delta)
})
console.log(`profile: ${out}${file}`)
for (const [who, time] of owners)
  console.log(`${((time / total) * 100).toFixed(1).padStart(5)}%  ${who}`)
for (const [key, time] of [...self].sort((a, b) => b[1] - a[1]).slice(0, 30)) {
  console.log(`${((time / total) * 100).toFixed(2).padStart(6)}%  ${key}`)
}
