// Node only: whether an OpenTelemetry instrumentation already traces outbound HTTP calls.
import { hasSubscribers } from 'node:diagnostics_channel'
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
  if (transport === 'undici') return hasSubscribers(UNDICI_REQUEST_CREATED)
  return isWrapped(http.request) || isWrapped(https.request)
}

const UNDICI_REQUEST_CREATED = 'undici:request:create'

function isWrapped(fn: unknown): boolean {
  return (fn as { __wrapped?: unknown }).__wrapped === true
}
