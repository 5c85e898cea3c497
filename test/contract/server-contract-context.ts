// What the parts of the server contract share: how an adapter starts its contract app, what its
// framework can serve, and what each part of one adapter's suite is given.
import type { ServerTracingOptions } from '@tracehop/core'
import type { RecordingSpan } from '@tracehop/testing'
import type { RunningServer } from '../support/net.js'
import type { TestRecording } from '../support/recording-tracer.js'
import type { Transport } from '../support/transports.js'

/**
 * Builds and starts the contract app; `options` undefined means no tracing installed; `transport`
 * is `http` (Node's HTTP/1.1 server) unless given.
 */
export type StartContractApp = (
  options?: ServerTracingOptions,
  transport?: Transport,
) => Promise<RunningServer>

/** What an adapter's framework can serve, beyond HTTP/1.1. */
export interface ServerCapabilities {
  /** Whether the framework serves HTTP/2 streams through Node's compatibility API; default true. */
  http2?: boolean
}

/** What the parts of the server contract share within one adapter's suite. */
export interface ServerContractContext {
  start: StartContractApp
  /** The running test's tracer and server. */
  recording: TestRecording
  /** Starts the app traced by the test's tracer, with `options` on top. */
  run: (options?: ServerTracingOptions) => Promise<RunningServer>
  /** The one span the test's requests were to produce. */
  onlySpan: () => Promise<RecordingSpan>
  /** Starts the app on `transport`, traced by the test's tracer with `options` on top. */
  runOn: (transport: Transport, options?: ServerTracingOptions) => Promise<RunningServer>
  /** The adapter's `component` tag. */
  component: string
}
