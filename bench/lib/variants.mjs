// Every variant the benchmark measures. Each names its baseline (the bare framework, or the bare
// client call) so ratios and deltas are taken against a measurement of the same run.

const tracers = [
  'noop',
  'recording',
  'jaeger',
  'otelshim',
  'otel',
  'otel-unsampled',
  'noop-otel-sdk',
]
// express-opentracing is compared on the tracers it was measured with before the bridge existed.
const eotTracers = ['noop', 'recording', 'jaeger', 'otelshim']

function serverVariants(framework, integrations) {
  const bare = `${framework}-bare`
  return integrations.map(([suffix, integration, tracer, options]) => ({
    name: `${framework}-${suffix}`,
    baseline: bare,
    spec: { framework, integration, ...(tracer === undefined ? {} : { tracer }), ...options },
  }))
}

function clientVariants(client) {
  const bare = `express-${client}-bare`
  return [
    { name: bare, baseline: bare, spec: { framework: 'express', integration: 'bare', client } },
    {
      name: `express-${client}-tracehop`,
      baseline: bare,
      // The OTel SDK behind tracehop here, so both sides of the comparison build the same spans.
      spec: {
        framework: 'express',
        integration: 'bare',
        client,
        clientTracing: 'tracehop',
        tracer: 'otelshim',
      },
    },
    {
      name: `express-${client}-otel`,
      baseline: bare,
      spec: { framework: 'express', integration: 'bare', client, clientTracing: 'otel' },
    },
  ]
}

export const variants = [
  ...serverVariants('express', [
    ['bare', 'bare'],
    ['als', 'als'],
    ...tracers.map((tracer) => [`tracehop-${tracer}`, 'tracehop', tracer]),
    ...eotTracers.map((tracer) => [`eot-${tracer}`, 'express-opentracing', tracer]),
    ['otel-auto', 'otel-auto'],
    ['otel-floor', 'otel-floor'],
  ]),
  ...serverVariants('express4', [
    ['bare', 'bare'],
    ['als', 'als'],
    ['tracehop-noop', 'tracehop', 'noop'],
    ['eot-noop', 'express-opentracing', 'noop'],
  ]),
  ...serverVariants('fastify', [
    ['bare', 'bare'],
    ['als', 'als'],
    ...tracers.map((tracer) => [`tracehop-${tracer}`, 'tracehop', tracer]),
    ['otel', 'fastify-otel'],
    ['otel-http', 'fastify-otel', undefined, { withHttp: true }],
    ['otel-floor', 'otel-floor'],
  ]),
  ...serverVariants('fastify4', [
    ['bare', 'bare'],
    ['als', 'als'],
    ['tracehop-noop', 'tracehop', 'noop'],
  ]),
  ...clientVariants('axios'),
  ...clientVariants('fetch'),
]

/** Variants whose heap is measured after 20k and 200k requests. */
export const memoryVariants = [
  'express-tracehop-jaeger',
  'fastify-tracehop-jaeger',
  'express-tracehop-otel',
  'fastify-tracehop-otel',
]

/**
 * The variants matching any of `filters` (substrings of the name), plus what their ratios and
 * the targets compare them with: their baseline and the ALS floor of their framework.
 */
export function selectVariants(filters) {
  if (filters === undefined) return variants
  const wanted = new Set()
  for (const variant of variants) {
    if (!filters.some((filter) => variant.name.includes(filter))) continue
    wanted.add(variant.name).add(variant.baseline)
    const als = `${variant.spec.framework}-als`
    if (variant.spec.client === undefined && variants.some((v) => v.name === als)) wanted.add(als)
  }
  return variants.filter((variant) => wanted.has(variant.name))
}
