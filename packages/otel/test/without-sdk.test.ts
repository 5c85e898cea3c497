// No OTel SDK set up at all (nothing registered in this process): the bridge says so once, and
// tracehop keeps working on its own context.
import assert from 'node:assert/strict'
import { once } from 'node:events'
import { describe, it } from 'node:test'
import { activeSpan, withSpan } from '@tracehop/core'
import { createOtelTracer } from '../src/index.js'

describe('createOtelTracer without an OTel SDK', () => {
  it('should warn once about the missing context manager and propagator, and keep working', async () => {
    const warnings: Array<string | undefined> = []
    const onWarning = (warning: Error & { code?: string }) => warnings.push(warning.code)
    process.on('warning', onWarning)
    try {
      const tracer = createOtelTracer()
      createOtelTracer()
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
