import { AsyncLocalStorage } from 'node:async_hooks'
import assert from 'node:assert/strict'
import { createRequire } from 'node:module'
import { setTimeout as sleep } from 'node:timers/promises'
import { describe, it } from 'node:test'
import type * as Core from '@tracehop/core'
import { activeSpan, setContextStore, startActiveSpan, traceIds, withSpan } from '../src/context.js'
import { RecordingSpan, RecordingTracer, assertFinishedOnce } from '@tracehop/testing'
import { Tracer, type Span } from 'opentracing'

describe('activeSpan / withSpan', () => {
  it('should be undefined outside any traced work', () => {
    assert.equal(activeSpan(), undefined)
    assert.equal(traceIds(), undefined)
  })

  it('should follow withSpan across await, timers and nested calls', async () => {
    const tracer = new RecordingTracer()
    const outer = tracer.startSpan('outer')
    const inner = tracer.startSpan('inner')
    await withSpan(outer, async () => {
      assert.equal(activeSpan(), outer)
      await sleep(1)
      assert.equal(activeSpan(), outer)
      await withSpan(inner, async () => {
        await new Promise((resolve) => setTimeout(resolve, 1))
        assert.equal(activeSpan(), inner)
      })
      assert.equal(activeSpan(), outer)
    })
    assert.equal(activeSpan(), undefined)
  })

  it('should be shared by the CommonJS and ESM builds of core', async () => {
    const require = createRequire(import.meta.url)
    const cjs = require('@tracehop/core') as typeof Core
    const esm = await import('@tracehop/core')
    assert.notEqual(cjs.withSpan, esm.withSpan, 'two copies of the module are loaded')
    const span = new RecordingTracer().startSpan('shared')
    cjs.withSpan(span, () => assert.equal(esm.activeSpan(), span))
    esm.withSpan(span, () => assert.equal(cjs.activeSpan(), span))
  })
})

describe('startActiveSpan', () => {
  it('should start a child of the active span and finish it when fn returns', () => {
    const tracer = new RecordingTracer()
    const parent = tracer.startSpan('parent')
    const result = withSpan(parent, () =>
      startActiveSpan('child', (span) => {
        assert.equal(activeSpan(), span)
        return 42
      }),
    )
    assert.equal(result, 42)
    const child = tracer.finishedSpans()[0]
    assert.equal(child?.operationName, 'child')
    assert.equal(child?.parentId, parent.spanId)
    assert.equal(child?.traceId, parent.traceId)
    parent.finish()
    assertFinishedOnce(tracer.spans())
  })

  it('should finish when the promise settles and keep the span active inside', async () => {
    const tracer = new RecordingTracer()
    let inside: Span | undefined
    const value = await startActiveSpan(
      'work',
      async (span) => {
        await sleep(5)
        inside = activeSpan()
        assert.equal(tracer.finishedSpans().length, 0)
        return span
      },
      { tracer, tags: { 'work.kind': 'demo' } },
    )
    assert.equal(inside, value)
    const [span] = tracer.finishedSpans()
    assert.equal(span?.tags['work.kind'], 'demo')
    assert.ok((span?.duration ?? 0) >= 4)
    assertFinishedOnce(tracer.spans())
  })

  it('should record a throw and a rejection, and rethrow the original error', async () => {
    const tracer = new RecordingTracer()
    const syncError = new Error('sync')
    assert.throws(
      () =>
        startActiveSpan(
          'sync',
          () => {
            throw syncError
          },
          { tracer },
        ),
      (error) => error === syncError,
    )
    const asyncError = new TypeError('async')
    await assert.rejects(
      startActiveSpan(
        'async',
        async () => {
          await sleep(1)
          throw asyncError
        },
        { tracer },
      ),
      (error) => error === asyncError,
    )
    for (const span of tracer.finishedSpans()) {
      // The same record as a request span's: dd-trace and others show errors from tags only.
      assert.equal(span.tags.error, true)
      assert.equal(span.tags['error.type'], span.operationName === 'sync' ? 'Error' : 'TypeError')
      assert.equal(span.tags['error.message'], span.operationName)
      const log = span.logs[0]?.fields
      assert.equal(log?.event, 'error')
      assert.equal(log?.['error.kind'], span.operationName === 'sync' ? 'Error' : 'TypeError')
      assert.ok(log?.['error.object'] instanceof Error)
    }
    assertFinishedOnce(tracer.spans())
  })

  it('should still run fn when the tracer throws', () => {
    class BrokenTracer extends Tracer {
      protected override _startSpan(): never {
        throw new Error('broken')
      }
    }
    const reported: string[] = []
    const result = startActiveSpan('x', (span) => typeof span.finish, {
      tracer: new BrokenTracer(),
      onError: (_error, where) => reported.push(where),
    })
    assert.equal(result, 'function')
    assert.deepEqual(reported, ['startSpan'])
  })

  it('should report a span that fails to finish, and still return what fn returned', async () => {
    const tracer = new RecordingTracer()
    const reported: string[] = []
    const onError = (_error: unknown, where: string) => reported.push(where)
    const value = await startActiveSpan(
      'x',
      async (span) => {
        span.finish = () => {
          throw new Error('finish broke')
        }
        await sleep(1)
        return 42
      },
      { tracer, onError },
    )
    assert.equal(value, 42)
    assert.deepEqual(reported, ['finish'])
  })
})

describe('traceIds', () => {
  it('should give the ids of the active span, or of the span passed', () => {
    const tracer = new RecordingTracer()
    const span = tracer.startSpan('a')
    const ids = withSpan(span, () => traceIds())
    assert.deepEqual(ids, {
      traceId: span.traceId,
      spanId: span.spanId,
    })
    assert.deepEqual(traceIds(span), ids)
  })

  it('should be undefined for a span without ids (the no-op tracer)', () => {
    assert.equal(traceIds(new Tracer().startSpan('noop')), undefined)
  })
})

describe('setContextStore', () => {
  it('should keep the active span where the installed store keeps it, until reset', async () => {
    const storage = new AsyncLocalStorage<Span>()
    const runs: string[] = []
    const store = {
      active: () => storage.getStore(),
      run: <T>(span: Span, fn: () => T): T => {
        runs.push(span instanceof RecordingSpan ? span.operationName : '?')
        return storage.run(span, fn)
      },
    }
    const tracer = new RecordingTracer()
    setContextStore(store)
    try {
      const outer = tracer.startSpan('outer')
      await withSpan(outer, async () => {
        await sleep(1)
        assert.equal(storage.getStore(), outer)
        await startActiveSpan('inner', async (inner) => {
          await sleep(1)
          assert.equal(activeSpan(), inner)
          assert.ok(inner instanceof RecordingSpan)
          assert.equal(inner.parentId, outer.spanId)
        })
      })
      assert.deepEqual(runs, ['outer', 'inner'])
    } finally {
      setContextStore(undefined)
    }
    const after = tracer.startSpan('after')
    withSpan(after, () => {
      assert.equal(activeSpan(), after)
      assert.equal(storage.getStore(), undefined)
    })
    assert.deepEqual(runs, ['outer', 'inner'])
  })
})
