// How the bridge reads an OpenTracing carrier through OTel's propagators: header names in any
// case, a text map's keys as they are.
import { propagation, ROOT_CONTEXT, type Context, type TextMapGetter } from '@opentelemetry/api'
import { FORMAT_HTTP_HEADERS } from 'opentracing'

/** What OTel's global propagator reads from `carrier`, an OpenTracing carrier of `format`. */
export function extractFrom(format: string, carrier: object): Context {
  return format === FORMAT_HTTP_HEADERS
    ? propagation.extract(ROOT_CONTEXT, lowerCased(carrier), headerGetter)
    : propagation.extract(ROOT_CONTEXT, carrier, textMapGetter)
}

// Header names arrive in any case from some carriers (an app's own, a message's headers); the
// propagators ask in lower case. Core's carriers are lower-case already and pass as they are.
function lowerCased(carrier: object): object {
  const keys = Object.keys(carrier)
  if (!keys.some((key) => key !== key.toLowerCase())) return carrier
  const lower = Object.create(null) as Record<string, unknown>
  for (const key of keys) {
    const name = key.toLowerCase()
    // An exact lower-case name wins over another spelling of it.
    if (name === key || !(name in lower)) lower[name] = (carrier as Record<string, unknown>)[key]
  }
  return lower
}

const headerGetter: TextMapGetter<object> = {
  keys: (carrier) => Object.keys(carrier),
  get: (carrier, key) => {
    const value = (carrier as Record<string, unknown>)[key]
    if (typeof value === 'string') return value
    if (Array.isArray(value))
      return value.filter((item): item is string => typeof item === 'string')
    return undefined
  },
}

// A text map's keys are not header names: they keep their case (Jaeger's `uberctx-<key>` carries
// a baggage key in its name). One that starts in upper case (`Uberctx-Tenant`, a message's headers
// copied from HTTP's) is a header name written title-case: it is offered in lower case too. A
// name a propagator asks for is found in any case.
const textMapGetter: TextMapGetter<object> = {
  keys: (carrier) =>
    Object.keys(carrier).flatMap((key) => (startsUpperCase(key) ? [key, key.toLowerCase()] : key)),
  get: (carrier, key) => {
    const exact = headerGetter.get(carrier, key)
    if (exact !== undefined) return exact
    const lower = key.toLowerCase()
    const other = Object.keys(carrier).find((name) => name.toLowerCase() === lower)
    return other === undefined ? undefined : headerGetter.get(carrier, other)
  },
}

function startsUpperCase(key: string): boolean {
  const first = key.charAt(0)
  return first !== first.toLowerCase()
}
