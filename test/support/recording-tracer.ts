import { afterEach, beforeEach } from 'node:test'
import { RecordingTracer, assertFinishedOnce } from '@tracehop/testing'
import type { RunningServer } from './net.js'

/** What the running test traces with, and the server it started; see useRecordingTracer(). */
export interface TestRecording {
  /** A fresh RecordingTracer per test; a test may swap in another (a failing one, say). */
  tracer: RecordingTracer
  /** The server the test started, if any: set it, and it is closed after the test. */
  server: RunningServer | undefined
}

/**
 * Gives every test of the enclosing describe() a fresh RecordingTracer and, after each test,
 * closes the server it started and checks that every span it recorded was finished exactly once.
 * Register it before hooks that use the tracer: hooks run in the order they were registered.
 */
export function useRecordingTracer(): TestRecording {
  let tracer: RecordingTracer | undefined
  const recording: TestRecording = {
    get tracer(): RecordingTracer {
      if (tracer === undefined) throw new Error('the tracer is made per test: use it inside it()')
      return tracer
    },
    set tracer(replacement: RecordingTracer) {
      tracer = replacement
    },
    server: undefined,
  }
  beforeEach(() => {
    tracer = new RecordingTracer()
  })
  afterEach(async () => {
    await recording.server?.close()
    recording.server = undefined
    assertFinishedOnce(recording.tracer.spans())
  })
  return recording
}
