// No OTel SDK set up at all (nothing registered in this process): the bridge says so once, and
// tracehop keeps working on its own context.
import assert from 'node:assert/strict'
import { once } from 'node:events'
import { createRequire } from 'node:module'
import { describe, it } from 'node:test'
import { activeSpan, withSpan } from '@tracehop/core'
import { createOtelTracer } from '../src/index.js'

const require = createRequire(import.meta.url)

describe('createOtelTracer without an OTel SDK', () => {
  it('should warn once about the missing context manager and propagator, and keep working', async () => {
    // The package's other builds, loaded as well: they say the same warnings, not again.
    const builds = [
      require('@tracehop/otel') as { createOtelTracer: typeof createOtelTracer },
      await import('@tracehop/otel'),
    ]
    const warnings: Array<string | undefined> = []
    const onWarning = (warning: Error & { code?: string }) => warnings.push(warning.code)
    process.on('warning', onWarning)
    try {
      const tracer = createOtelTracer()
      createOtelTracer()
      for (const build of builds) build.createOtelTracer()
      await once(process, 'warning')
      await new Promise((resolve) => setImmediate(resolve))
      assert.deepEqual(warnings.sort(), [
        'TRACEHOP_OTEL_NO_CONTEXT_MANAGER',
        'TRACEHOP_OTEL_NO_PROPAGATOR',
      ])
      const span = tracer.startSpan('alone')
      withSpan(span, () => assert.equal(activeSpan(), span))
      span.finish()
    } finally {
      process.off('warning', onWarning)
    }
  })
})
