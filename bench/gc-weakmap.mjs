// V8's minor GC and WeakMap entries whose key is young and already dead:
//   node bench/gc-weakmap.mjs
// allocates 3 million short-lived key/value pairs twice, in child processes traced with
// --trace-gc-nvp: once with nothing else holding them, once with each pair also set in a
// WeakMap. Each key is garbage by the next iteration, so a scavenge should copy nothing of
// either; the second line shows what it copies instead (why @tracehop/express stopped keeping
// its handles in a WeakMap keyed by the request; RESULTS.md, "What the GC traces found").
import { spawnSync } from 'node:child_process'
import process from 'node:process'
import { fileURLToPath } from 'node:url'

if (process.argv[2] === 'child') {
  const entries = process.argv[3] === 'weakmap' ? new WeakMap() : undefined
  let last
  for (let i = 0; i < 3e6; i++) {
    const key = { i }
    entries?.set(key, { values: new Array(20).fill(i) })
    last = key
  }
  if (last === undefined) process.exit(1)
} else {
  for (const mode of ['plain', 'weakmap']) {
    const { stdout } = spawnSync(
      process.execPath,
      ['--trace-gc-nvp', fileURLToPath(import.meta.url), 'child', mode],
      { encoding: 'utf8' },
    )
    const survived = stdout
      .split('\n')
      .filter((line) => line.includes(' gc=s '))
      .map((line) => Number(/ new_space_survived=(\d+)/.exec(line)?.[1] ?? NaN))
      .sort((a, b) => a - b)
    const median = survived[Math.floor(survived.length / 2)] ?? NaN
    console.log(
      `${mode}: ${survived.length} scavenges, median ${(median / 1024).toFixed(0)} KB survived each`,
    )
  }
}
