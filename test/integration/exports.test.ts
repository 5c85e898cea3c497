// The built packages, as users load them: `require` gets the CommonJS build, `import` the ESM
// build, and both expose the same documented names.
import assert from 'node:assert/strict'
import { createRequire } from 'node:module'
import { describe, it } from 'node:test'

const require = createRequire(import.meta.url)

const expected: Record<string, string[]> = {
  '@tracehop/core': [
    'TRACE_HEADERS',
    'activeSpan',
    'startActiveSpan',
    'traceHeaders',
    'traceIds',
    'withSpan',
  ],
  '@tracehop/core/adapter': [
    'REFUSED_CALLER',
    'createClientTracing',
    'createServerTracing',
    'isErrorInstance',
    'normalizeMethod',
    'redactUrl',
    'setContextStore',
    'warn',
  ],
  '@tracehop/express': ['tracingErrorHandler', 'tracingMiddleware'],
  '@tracehop/fastify': ['recordError', 'tracingPlugin'],
  '@tracehop/axios': ['registerTracingInterceptor'],
  '@tracehop/fetch': ['tracedFetch'],
  '@tracehop/otel': ['createOtelTracer'],
  '@tracehop/testing': [
    'RecordingSpan',
    'RecordingSpanContext',
    'RecordingTracer',
    'assertFinishedOnce',
    'criticalPath',
    'formatBaggage',
    'formatTraceParent',
    'groupByTrace',
    'parseBaggage',
    'parseTraceParent',
    'renderWaterfall',
    'selfTime',
    'slowestSpan',
    'traceTree',
  ],
}

describe('package exports', () => {
  for (const [name, names] of Object.entries(expected)) {
    it(`${name} should expose the same names to require and import`, async () => {
      const viaRequire = require(name) as Record<string, unknown>
      const viaImport = (await import(name)) as Record<string, unknown>
      assert.deepEqual(
        Object.keys(viaRequire)
          .filter((key) => key !== 'default')
          .sort(),
        names,
      )
      assert.deepEqual(
        Object.keys(viaImport)
          .filter((key) => key !== 'default')
          .sort(),
        names,
      )
      if (name === '@tracehop/fastify') {
        assert.equal(viaRequire.default, viaRequire.tracingPlugin)
        assert.equal(viaImport.default, viaImport.tracingPlugin)
      }
      const entry = name.endsWith('/adapter') ? 'adapter' : 'index'
      assert.match(require.resolve(name), new RegExp(`dist/${entry}\\.cjs$`))
      assert.match(import.meta.resolve(name), new RegExp(`dist/${entry}\\.js$`))
    })
  }
})
