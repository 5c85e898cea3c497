// lightstep-tracer (`ot-tracer-*` headers). Lightstep documents LS_ACCESS_TOKEN for the token;
// the collector defaults to Lightstep's SaaS and is moved with LS_COLLECTOR_HOST,
// LS_COLLECTOR_PORT and LS_COLLECTOR_ENCRYPTION (`tls` or `none`).
import { createRequire } from 'node:module'
import type { Tracer } from 'opentracing'
import type { TracerHandle } from './handle.js'

const require = createRequire(import.meta.url)

interface LightstepTracer extends Tracer {
  flush(done?: () => void): void
}

/** A lightstep-tracer for `serviceName`, reporting where the LS_* variables say. */
export function lightstepTracer(
  serviceName: string,
  env: NodeJS.ProcessEnv = process.env,
): TracerHandle {
  const lightstep = require('lightstep-tracer') as {
    Tracer: new (options: object) => LightstepTracer
  }
  const tracer = new lightstep.Tracer({
    access_token: env.LS_ACCESS_TOKEN ?? '',
    component_name: serviceName,
    ...(env.LS_COLLECTOR_HOST === undefined ? {} : { collector_host: env.LS_COLLECTOR_HOST }),
    ...(env.LS_COLLECTOR_PORT === undefined
      ? {}
      : { collector_port: Number(env.LS_COLLECTOR_PORT) }),
    collector_encryption: env.LS_COLLECTOR_ENCRYPTION ?? 'tls',
    // The JSON transport; the default protobuf one loses a whole report to one bad span.
    transport: 'thrift',
    verbosity: 0,
  })
  return {
    tracer,
    kind: 'lightstep',
    close: () => new Promise<void>((resolve) => tracer.flush(() => resolve())),
  }
}
