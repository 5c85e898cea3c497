// Node only: whether an OpenTelemetry instrumentation already traces outbound HTTP calls.
import { channel } from 'node:diagnostics_channel'
import http from 'node:http'
import https from 'node:https'
import type { Transport } from '@tracehop/core/adapter'

/**
 * True when an OpenTelemetry instrumentation traces calls over `transport`: instrumentation-undici
 * listens on undici's request channel, instrumentation-http wraps `http.request` (its wrapper is
 * marked `__wrapped`). Each injects its own client span's context: were tracehop to inject too,
 * undici would send two `traceparent` headers, which receivers reject.
 */
export function transportInstrumented(transport: Transport): boolean {
  if (transport === 'undici') return undiciInstrumented()
  return isWrapped(http.request) || isWrapped(https.request)
}

// Looked up once and held: asked for on every call, Node would make one whenever none is alive.
const requestCreated = channel('undici:request:create')

/**
 * Whether instrumentation-undici is among the listeners of undici's request channel. Others listen
 * there too (metrics, logging, Node's network inspector) and inject nothing: taken for it, they
 * would leave tracedFetch's calls with no span and no trace context. It is told by its listener,
 * its `onRequestCreated` method bound to it, as every version so far subscribes. Where Node does
 * not show the listeners (its `_subscribers`, not public), any listener is taken for it: a call
 * then goes untraced rather than with two `traceparent` headers, the usual listener in an app
 * that set up OTel being that instrumentation.
 */
function undiciInstrumented(): boolean {
  if (!requestCreated.hasSubscribers) return false
  const listeners = (requestCreated as { _subscribers?: unknown })._subscribers
  if (!Array.isArray(listeners)) return true
  return listeners.some(isUndiciInstrumentation)
}

function isUndiciInstrumentation(listener: unknown): boolean {
  return typeof listener === 'function' && listener.name === UNDICI_INSTRUMENTATION_LISTENER
}

const UNDICI_INSTRUMENTATION_LISTENER = 'bound onRequestCreated'

function isWrapped(fn: unknown): boolean {
  return (fn as { __wrapped?: unknown }).__wrapped === true
}
