// jaeger-client, the reference OpenTracing tracer (`uber-trace-id` headers), configured from the
// variables Jaeger documents: JAEGER_AGENT_HOST / JAEGER_AGENT_PORT (UDP agent) or
// JAEGER_ENDPOINT (HTTP collector), JAEGER_SAMPLER_TYPE / JAEGER_SAMPLER_PARAM.
import jaeger from 'jaeger-client'
import type { TracerHandle } from './handle.js'
import { lossReporter } from './loss-report.js'

/** A jaeger-client tracer for `serviceName`, reporting where the JAEGER_* variables say. */
export function jaegerTracer(
  serviceName: string,
  env: NodeJS.ProcessEnv = process.env,
): TracerHandle {
  const tracer = jaeger.initTracer(
    {
      serviceName,
      // The client's default polls a remote sampler on localhost:5778; a const sampler does not.
      sampler: {
        type: env.JAEGER_SAMPLER_TYPE ?? 'const',
        param: Number(env.JAEGER_SAMPLER_PARAM ?? 1),
      },
      reporter: {
        ...(env.JAEGER_ENDPOINT === undefined
          ? {
              agentHost: env.JAEGER_AGENT_HOST ?? 'localhost',
              agentPort: Number(env.JAEGER_AGENT_PORT ?? 6832),
            }
          : { collectorEndpoint: env.JAEGER_ENDPOINT }),
        flushIntervalMs: 200,
      },
    },
    // Without a logger the client drops a batch the collector refused (or never got) in silence.
    { logger: lossReporter('jaeger-client') },
  )
  return {
    tracer,
    kind: 'jaeger',
    // The client keeps a UDP socket and a flush timer: the process exits only after close().
    close: () => new Promise<void>((resolve) => tracer.close(() => resolve())),
  }
}
