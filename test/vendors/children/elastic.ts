// Runs the vendor scenario under the Elastic APM OpenTracing bridge in a process of its own (the
// agent is a process-wide singleton), reporting to ELASTIC_APM_SERVER_URL; prints the result.
import { createRequire } from 'node:module'
import type { Tracer } from 'opentracing'
import { runScenario } from '../support/scenario.js'

// The bridge lives in tools/elastic: its stale peer range needs an install of its own.
const require = createRequire(new URL('../../../tools/elastic/package.json', import.meta.url))
const agent = (
  require('elastic-apm-node') as {
    start(options: object): { flush(done: () => void): void; destroy(): void }
  }
).start({
  serverUrl: process.env.ELASTIC_APM_SERVER_URL,
  serviceName: 'tracehop-vendor',
  // The bridge only: no module patching, no metrics, no cloud metadata lookups.
  instrument: false,
  captureExceptions: false,
  centralConfig: false,
  metricsInterval: '0s',
  cloudProvider: 'none',
  logLevel: 'off',
  apiRequestTime: '50ms',
})
const Bridge = require('elastic-apm-node-opentracing') as new (agent: object) => Tracer
const tracer = new Bridge(agent)
const result = await runScenario(() => tracer)
await new Promise<void>((resolve) => agent.flush(() => resolve()))
process.stdout.write(JSON.stringify(result))
agent.destroy()
