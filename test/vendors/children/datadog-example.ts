// Builds the tracer examples/tracers gives for TRACER=datadog (dd-trace is a singleton, so in a
// process of its own), records one span and lets dd-trace send it.
import { tracerFromEnv } from '@tracehop/example-tracers'

const handle = tracerFromEnv('example-dd-service')
handle.tracer.startSpan('GET /from-env', { tags: { 'span.kind': 'server' } }).finish()
await handle.close()
