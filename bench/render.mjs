// Rewrites bench/results/cpu-time.md from a saved run (bench/out/raw-*.json): for re-rendering
// after a change to the report, without measuring again.
//   node bench/render.mjs bench/out/raw-<date>.json
import { readFileSync, writeFileSync } from 'node:fs'
import process from 'node:process'
import { fileURLToPath } from 'node:url'
import { CPU_TIME_REPORT, printTargets, renderReport } from './lib/report.mjs'
import { summarize } from './lib/stats.mjs'
import { evaluateTargets } from './lib/targets.mjs'
import { variants } from './lib/variants.mjs'

const [rawPath] = process.argv.slice(2)
if (rawPath === undefined) throw new Error('usage: node bench/render.mjs bench/out/raw-<date>.json')
const { settings, rounds: saved, memory } = JSON.parse(readFileSync(rawPath, 'utf8'))
const rounds = new Map(Object.entries(saved))
const measured = variants.filter((variant) => rounds.has(variant.name))
const rows = measured.map((variant) =>
  summarize(variant, rounds.get(variant.name), rounds.get(variant.baseline)),
)
const targets = evaluateTargets(new Map(rows.map((row) => [row.name, row])), rounds, memory)
printTargets(targets)
const resultsPath = fileURLToPath(new URL(CPU_TIME_REPORT, import.meta.url))
writeFileSync(resultsPath, renderReport({ rows, targets, memory, settings }))
console.log(`report written to ${resultsPath}`)
