// OpenTracing's semantic-convention tags, as OpenTelemetry's stable HTTP conventions name them.
// Pure functions of the tags and the span kind: what the span does with them is span.ts's.
import { SpanKind, type AttributeValue, type Attributes } from '@opentelemetry/api'
import { normalizeMethod, redactUrl } from '@tracehop/core/adapter'

/** What a span keeps of its OpenTracing tags to decide its status when it ends. */
export interface Outcome {
  /** `error: true` was tagged. */
  failed: boolean
  /** The `error` tag alone decides (core's span, or one tagged `error`), not the status code. */
  decidedByErrorTag: boolean
  /** `http.status_code`, as a number. */
  statusCode: number | undefined
  /** `error.type`: as tagged, or as the errors logged since say it. */
  errorType: string | undefined
  /** `error.message`: as tagged, or as the errors logged since say it. */
  errorMessage: string | undefined
  /** `error.type` as tagged alone: all a failure by status alone says, beside its status. */
  taggedErrorType: string | undefined
  /** `error.message` as tagged alone. */
  taggedErrorMessage: string | undefined
}

/** Whether a span of `kind` whose tags left `outcome` ends as ERROR, by OTel's HTTP rules. */
export function endsInError(kind: SpanKind, outcome: Outcome): boolean {
  const status = outcome.statusCode
  // A server that answered 4xx did its job, even when an error made the answer (a validation
  // error, a thrown 404): OTel leaves such a server span's status unset.
  if (kind === SpanKind.SERVER && status !== undefined && status >= 400 && status < 500) {
    return false
  }
  if (outcome.decidedByErrorTag) return outcome.failed
  // A span no `error` tag decided (the app's own, another OpenTracing instrumentation's) fails as
  // OTel's HTTP conventions say: a server's 5xx, a client's 4xx or 5xx.
  if (status === undefined) return false
  return kind === SpanKind.SERVER ? status >= 500 : kind === SpanKind.CLIENT && status >= 400
}

/** The SpanKind an OpenTracing `span.kind` value names; anything else is INTERNAL. */
export function kindOf(value: unknown): SpanKind {
  if (typeof value !== 'string') return SpanKind.INTERNAL
  switch (value.toLowerCase()) {
    case 'server':
      return SpanKind.SERVER
    case 'client':
      return SpanKind.CLIENT
    case 'producer':
      return SpanKind.PRODUCER
    case 'consumer':
      return SpanKind.CONSUMER
    default:
      return SpanKind.INTERNAL
  }
}

/**
 * Writes `tags` into `attributes` under OTel's names for a span of `kind`, and what decides the
 * status into `outcome`. Tags with no OTel counterpart pass through unchanged; with `keep`, the
 * OpenTracing names are written too (for dashboards still reading them).
 */
export function mapTags(
  tags: Readonly<Record<string, unknown>>,
  kind: SpanKind,
  attributes: Attributes,
  outcome: Outcome,
  keep: boolean,
): void {
  const server = kind === SpanKind.SERVER
  for (const key of Object.keys(tags)) {
    const value = tags[key]
    if (value === undefined || value === null) continue
    switch (key) {
      case 'span.kind':
        // The span's kind, given at its start; as an attribute it would contradict nothing
        // but confuse queries that group by kind.
        continue
      case 'error':
        // The last value set wins, as in OpenTracing: `error: false` undoes an earlier `true`.
        outcome.failed = value === true || value === 'true'
        outcome.decidedByErrorTag = true
        continue
      case 'error.message':
        outcome.errorMessage = outcome.taggedErrorMessage = text(value)
        continue
      case 'error.type':
        outcome.errorType = outcome.taggedErrorType = text(value)
        break
      case 'http.method': {
        // Whoever set it (the app's own code too), the method is OTel's: known ones in upper
        // case, any other `_OTHER`, with the method as sent beside it whenever that differs
        // (`patch`, `PURGE`). tracehop's own tags say it already normalised, and name the
        // method as sent themselves.
        const sent = text(value)
        const method = normalizeMethod(sent)
        attributes['http.request.method'] = method
        if (sent !== method && sent !== '') attributes['http.request.method_original'] ??= sent
        break
      }
      case 'http.status_code': {
        const status = numberOf(value)
        if (Number.isInteger(status)) {
          attributes['http.response.status_code'] = status
          outcome.statusCode = status
        }
        break
      }
      case 'http.url': {
        // tracehop's own URLs are redacted already; one the app tagged may hold credentials.
        const url = redactUrl(text(value))
        if (server) serverUrl(url, attributes)
        else attributes['url.full'] = url
        if (keep) attributes[key] = url
        continue
      }
      case 'peer.hostname':
        attributes[server ? 'client.address' : 'server.address'] = text(value)
        break
      case 'peer.ipv4':
      case 'peer.ipv6':
        if (server) {
          attributes['client.address'] ??= text(value)
          // Without the connection's port, the address is a proxy's forwarded client: not the
          // connection's peer, which is all network.peer.address may name.
          if (tags['peer.port'] === undefined) break
        }
        attributes['network.peer.address'] = text(value)
        break
      case 'peer.port': {
        const port = numberOf(value)
        if (Number.isInteger(port)) attributes[server ? 'network.peer.port' : 'server.port'] = port
        break
      }
      case 'peer.service':
        // The service at the other end, as each side names it; a span of another kind keeps it.
        if (server) attributes['client.service.name'] = text(value)
        else if (kind === SpanKind.CLIENT) attributes['server.service.name'] = text(value)
        else attributes[key] = text(value)
        break
      default: {
        const attribute = attributeValue(value)
        if (attribute !== undefined) attributes[key] = attribute
        continue
      }
    }
    if (keep) {
      const attribute = attributeValue(value)
      if (attribute !== undefined) attributes[key] = attribute
    }
  }
}

// A server's `http.url` is the request target, made absolute when the Host was known. A path
// (which a URL in its query does not make absolute) has no scheme.
function serverUrl(url: string, attributes: Attributes): void {
  let rest = url
  const schemeEnd = url.startsWith('/') ? -1 : url.indexOf('://')
  if (schemeEnd !== -1) {
    // Schemes are case-insensitive (`HTTP://host/` in a proxy's request); OTel's are lower-case.
    const scheme = url.slice(0, schemeEnd).toLowerCase()
    attributes['url.scheme'] = scheme
    // The authority ends where the path or, with no path (`http://host?page=2`), the query starts.
    const authorityStart = schemeEnd + 3
    const pathStart = url.indexOf('/', authorityStart)
    const queryStart = url.indexOf('?', authorityStart)
    const authorityEnd = Math.min(
      pathStart === -1 ? url.length : pathStart,
      queryStart === -1 ? url.length : queryStart,
    )
    hostAttributes(url.slice(authorityStart, authorityEnd), scheme, attributes)
    rest = url.slice(authorityEnd)
    if (!rest.startsWith('/')) rest = `/${rest}`
  }
  const queryAt = rest.indexOf('?')
  attributes['url.path'] = queryAt === -1 ? rest : rest.slice(0, queryAt)
  if (queryAt !== -1 && queryAt < rest.length - 1) attributes['url.query'] = rest.slice(queryAt + 1)
}

function hostAttributes(authority: string, scheme: string, attributes: Attributes): void {
  // A server is asked for by few names: the last one is known.
  if (authority !== lastHost.authority || scheme !== lastHost.scheme) {
    lastHost = hostOf(authority, scheme)
  }
  if (lastHost.address !== undefined) attributes['server.address'] = lastHost.address
  if (lastHost.port !== undefined) attributes['server.port'] = lastHost.port
}

interface Host {
  authority: string
  scheme: string
  address: string | undefined
  port: number | undefined
}

let lastHost: Host = { authority: '', scheme: '', address: undefined, port: undefined }

function hostOf(authority: string, scheme: string): Host {
  const bracketEnd = authority.lastIndexOf(']')
  const portAt = authority.lastIndexOf(':')
  const hasPort = portAt !== -1 && portAt > bracketEnd
  const host = hasPort ? authority.slice(0, portAt) : authority
  // An IPv6 literal is written in brackets in a URL, and without them as an address.
  const address = host === '' ? undefined : bracketEnd === -1 ? host : host.slice(1, -1)
  // A Host without a port (or with an empty one, `host:`) names the scheme's default one.
  const portText = hasPort ? authority.slice(portAt + 1) : ''
  const port = portText === '' ? DEFAULT_PORTS[scheme] : Number(portText)
  return {
    authority,
    scheme,
    address,
    port: port !== undefined && Number.isInteger(port) ? port : undefined,
  }
}

const DEFAULT_PORTS: Readonly<Record<string, number>> = { http: 80, https: 443, ws: 80, wss: 443 }

// Tag values are primitives in practice; anything else is written as JSON rather than lost. Like
// numberOf(), it never throws: a tag the app set must not fail the app's setTag().
function text(value: unknown): string {
  switch (typeof value) {
    case 'string':
      return value
    case 'object': {
      const attribute = attributeValue(value)
      return attribute === undefined ? '' : String(attribute)
    }
    case 'function':
    case 'undefined':
      return ''
    default:
      return String(value)
  }
}

function numberOf(value: unknown): number {
  if (typeof value === 'number') return value
  if (typeof value === 'bigint') return Number(value)
  // Number('') is 0: an empty tag says no number, not status 0 or port 0.
  return typeof value === 'string' && value.trim() !== '' ? Number(value) : Number.NaN
}

const MAX_ATTRIBUTE_LENGTH = 1024

/** `value` as an OTel attribute value: primitives and their arrays; anything else as JSON. */
export function attributeValue(value: unknown): AttributeValue | undefined {
  switch (typeof value) {
    case 'string':
    case 'number':
    case 'boolean':
      return value
    case 'bigint':
      return String(value)
    case 'object':
      if (value === null) return undefined
      // A cycle, a BigInt inside, a throwing getter or toJSON(): nothing to record, no throw.
      try {
        return objectValue(value)
      } catch {
        return undefined
      }
    default:
      return undefined
  }
}

function objectValue(value: object): AttributeValue | undefined {
  // JSON would say '{}' of an Error: its name and message say what it was.
  if (value instanceof Error) return `${value.name}: ${value.message}`
  if (Array.isArray(value) && isHomogeneous(value)) return value as AttributeValue
  const json = JSON.stringify(value)
  if (typeof json !== 'string') return undefined
  // What writes itself as one string (a URL, a Date) is that string, not a quoted one.
  const written = json.startsWith('"') ? (JSON.parse(json) as string) : json
  return written.length <= MAX_ATTRIBUTE_LENGTH
    ? written
    : `${written.slice(0, MAX_ATTRIBUTE_LENGTH - 1)}…`
}

// OTel holds arrays of one primitive type (strings, numbers or booleans) as they are.
function isHomogeneous(values: unknown[]): boolean {
  const type = typeof values[0]
  if (type !== 'string' && type !== 'number' && type !== 'boolean') return values.length === 0
  return values.every((item) => typeof item === type)
}
