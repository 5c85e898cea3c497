// Node only: whether an OpenTelemetry instrumentation already traces outbound HTTP calls.
import { channel } from 'node:diagnostics_channel'
import http from 'node:http'
import https from 'node:https'
import type { Transport } from '@tracehop/core/adapter'
import { warnOnce } from './setup.js'

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
 * Whether something that traces undici's calls listens on its request channel. APM agents listen
 * there and inject their own headers (dd-trace, Elastic's), as instrumentation-undici does: were
 * tracehop to inject too, a call would carry two `traceparent` headers, which receivers reject. So
 * any listener counts. Other libraries listen there without injecting (metrics, logging), and
 * then the call carries none: a listener that is not instrumentation-undici's (its bound
 * `onRequestCreated`) is named in a warning, once.
 */
function undiciInstrumented(): boolean {
  if (!requestCreated.hasSubscribers) return false
  // Node's list of them, not public: where it is not there, nothing is said.
  const listeners = (requestCreated as { _subscribers?: unknown })._subscribers
  if (!toldOfListener && Array.isArray(listeners) && !listeners.some(isUndiciInstrumentation)) {
    toldOfListener = true
    warnOnce(
      'TRACEHOP_UNDICI_LISTENER',
      'a listener that is not instrumentation-undici listens on undici:request:create: tracedFetch ' +
        'leaves its calls to it, as to an agent that traces them (no span and no trace header from ' +
        `tracehop). Listening: ${listeners.map(listenerName).join(', ')}`,
    )
  }
  return true
}

let toldOfListener = false

function isUndiciInstrumentation(listener: unknown): boolean {
  return typeof listener === 'function' && listener.name === UNDICI_INSTRUMENTATION_LISTENER
}

function listenerName(listener: unknown): string {
  return typeof listener === 'function' && listener.name !== '' ? listener.name : 'anonymous'
}

const UNDICI_INSTRUMENTATION_LISTENER = 'bound onRequestCreated'

function isWrapped(fn: unknown): boolean {
  return (fn as { __wrapped?: unknown }).__wrapped === true
}
