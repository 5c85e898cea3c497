// Where GC time goes, next to profile.mjs for CPU time:
//   node bench/gc-trace.mjs express-tracehop-otel [seconds]
// runs the variant under the bench's load with V8's --trace-gc-nvp and prints, over the second
// half of its scavenges (after the new space has settled), the median bytes that survived each
// one, its pause and the new space's size. Surviving bytes are what a scavenge copies: objects
// kept alive past a request's end show up here long before they show in CPU time.
import { createInterface } from 'node:readline'
import process from 'node:process'
import { load, startLoadHelpers, startServer } from './lib/measure.mjs'
import { variants } from './lib/variants.mjs'

const [name = 'express-tracehop-noop', seconds = '6'] = process.argv.slice(2)
const variant = variants.find((candidate) => candidate.name === name)
if (variant === undefined) throw new Error(`no variant ${name}`)

const { context, stop } = await startLoadHelpers({ duration: Number(seconds) })
const scavenges = []
const { server, url } = await startServer(variant, context, ['--trace-gc-nvp'], 'pipe')
createInterface({ input: server.child.stdout }).on('line', (line) => {
  if (!line.includes(' gc=s ')) return
  const field = (key) => Number(new RegExp(`[ ]${key}=([\\d.]+)`).exec(line)?.[1] ?? NaN)
  scavenges.push({
    survived: field('new_space_survived'),
    pause: field('pause'),
    capacity: field('new_space_capacity'),
  })
})
await load({ ...context, duration: 1 }, url)
await load(context, url)
const exited = new Promise((resolve) => server.child.once('exit', resolve))
server.child.send({ type: 'exit' })
await exited
await stop()

const settled = scavenges.slice(Math.floor(scavenges.length / 2))
const median = (key) => {
  const sorted = settled.map((scavenge) => scavenge[key]).sort((a, b) => a - b)
  return sorted[Math.floor(sorted.length / 2)] ?? NaN
}
console.log(
  `${name}: ${scavenges.length} scavenges; over the last ${settled.length}, medians: ` +
    `${(median('survived') / 1024).toFixed(0)} KB survived, ${median('pause').toFixed(2)} ms ` +
    `pause, ${(median('capacity') / 2 ** 20).toFixed(0)} MB new space`,
)
