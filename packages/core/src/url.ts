import type { IgnoreOption } from './types.js'

/** Longest tag value tracehop writes; longer values are cut and end in "…". */
export const MAX_TAG_LENGTH = 1024

const KNOWN_METHODS = new Set([
  'GET',
  'HEAD',
  'POST',
  'PUT',
  'DELETE',
  'CONNECT',
  'OPTIONS',
  'TRACE',
  'PATCH',
  'QUERY',
])

/** The method in upper case when it is a known HTTP method, else `_OTHER` (keeps names bounded). */
export function normalizeMethod(method: string | undefined): string {
  if (typeof method !== 'string' || method === '') return 'GET'
  if (KNOWN_METHODS.has(method)) return method
  if (method.length > 16) return OTHER_METHOD
  const upper = method.toUpperCase()
  return KNOWN_METHODS.has(upper) ? upper : OTHER_METHOD
}

/** The `http.method` of a method outside the known set (OpenTelemetry's name for it). */
export const OTHER_METHOD = '_OTHER'

/** `method` as a span name says it: `HTTP` for `_OTHER`, as OpenTelemetry names such spans. */
export function methodInName(method: string): string {
  return method === OTHER_METHOD ? 'HTTP' : method
}

// Matched against query parameter names only, after a length check: linear, no backtracking.
const SECRET_NAME =
  /token|key|pass|pwd|secret|sig|auth|code|credential|session|jwt|otp|ticket|private|salt/i
const MAX_NAME_LENGTH = 64

/** Placeholder written instead of a secret-looking query value. */
export const REDACTED = 'REDACTED'

/**
 * A URL safe to record: userinfo dropped, the fragment dropped, secret-looking query values
 * (token, key, password, secret, signature, auth, code, …) replaced, and the length capped.
 */
export function redactUrl(url: string): string {
  // Most URLs have nothing to remove: no userinfo, query or fragment.
  if (!url.includes('@') && !url.includes('?') && !url.includes('#')) return capTag(url)
  const hashAt = url.indexOf('#')
  let clean = hashAt === -1 ? url : url.slice(0, hashAt)
  clean = dropUserinfo(clean)
  const queryAt = clean.indexOf('?')
  if (queryAt !== -1) {
    clean = clean.slice(0, queryAt + 1) + redactQuery(clean.slice(queryAt + 1))
  }
  return capTag(clean)
}

/** `value` cut to MAX_TAG_LENGTH characters. */
export function capTag(value: string): string {
  return value.length <= MAX_TAG_LENGTH ? value : `${value.slice(0, MAX_TAG_LENGTH - 1)}…`
}

// A scheme and the slashes after it, or the two of a scheme-relative URL (`//user:pw@host`). URL
// parsers skip any number of slashes after a scheme (backslashes too, in http(s) and ws(s) URLs):
// `http:user:pw@host` carries a password as `http://user:pw@host`.
const SCHEME_AND_SLASHES = /^(?:[a-z][a-z\d+.-]*:[/\\]*|[/\\]{2})/i

function dropUserinfo(url: string): string {
  const authorityStart = SCHEME_AND_SLASHES.exec(url)?.[0].length
  if (authorityStart === undefined) return url
  const length = url.slice(authorityStart).search(/[/\\?]/)
  const authorityEnd = length === -1 ? url.length : authorityStart + length
  const at = url.lastIndexOf('@', authorityEnd - 1)
  if (at < authorityStart) return url
  return url.slice(0, authorityStart) + url.slice(at + 1)
}

function redactQuery(query: string): string {
  let changed = false
  const parts = query.split('&')
  for (let i = 0; i < parts.length; i++) {
    const part = parts[i] as string
    const eq = part.indexOf('=')
    if (eq <= 0 || eq === part.length - 1) continue
    if (isSecretName(part.slice(0, eq))) {
      parts[i] = `${part.slice(0, eq)}=${REDACTED}`
      changed = true
    }
  }
  return changed ? parts.join('&') : query
}

function isSecretName(encodedName: string): boolean {
  if (encodedName.length > MAX_NAME_LENGTH) return true
  let name = encodedName
  if (name.includes('%')) {
    try {
      name = decodeURIComponent(name)
    } catch {
      return true
    }
  }
  return SECRET_NAME.test(name)
}

/** The path part of a path-and-query or absolute URL, without query or fragment. */
export function pathOf(url: string): string {
  let end = url.length
  const query = url.indexOf('?')
  if (query !== -1) end = query
  const hash = url.indexOf('#')
  if (hash !== -1 && hash < end) end = hash
  let start = 0
  // A path may hold a URL (`/thumb/https://cdn.test/a`): only a target not starting with `/` is
  // an absolute URL.
  const scheme = url.startsWith('/') ? -1 : url.indexOf('://')
  if (scheme !== -1 && scheme < end) {
    const slash = url.indexOf('/', scheme + 3)
    if (slash === -1 || slash > end) return '/'
    start = slash
  }
  return url.slice(start, end)
}

/** Whether a request is ignored, given the request and its path (see pathOf()). */
export type IgnoreRule<Request> = (request: Request, path: string) => boolean

/** The `ignore` option as one rule; undefined when nothing is ignored. */
export function ignoreRule<Request>(
  ignore: IgnoreOption<Request> | undefined,
): IgnoreRule<Request> | undefined {
  if (ignore === undefined) return undefined
  if (typeof ignore === 'function') return (request) => ignore(request)
  // One path or pattern given alone, as plain JavaScript lets an app write it, is a list of one.
  const entries: unknown[] = Array.isArray(ignore) ? ignore : [ignore]
  if (entries.length === 0) return undefined
  const paths = new Set(entries.filter((entry): entry is string => typeof entry === 'string'))
  const patterns = entries.filter((entry): entry is RegExp => entry instanceof RegExp)
  return (_request, path) => {
    if (paths.has(path)) return true
    for (const pattern of patterns) {
      pattern.lastIndex = 0
      if (pattern.test(path)) return true
    }
    return false
  }
}

/**
 * Sets `peer.ipv4` or `peer.ipv6` from a client address as the adapter resolved it: the socket's
 * peer, or behind a trusted proxy the X-Forwarded-For entry the framework picked, which holds
 * whatever a proxy (or a client) wrote there (`unknown`, a port, a name): only an IP is recorded.
 */
export function addPeerAddress(tags: Record<string, unknown>, address: string): void {
  // Requests come from few addresses (a load balancer's, a proxy's): the last one is known.
  if (address !== lastPeer.address) lastPeer = peerOf(address)
  if (lastPeer.tag !== undefined) tags[lastPeer.tag] = lastPeer.value
}

interface PeerAddress {
  address: string
  tag: 'peer.ipv4' | 'peer.ipv6' | undefined
  value: string
}

let lastPeer: PeerAddress = { address: '', tag: undefined, value: '' }

function peerOf(address: string): PeerAddress {
  const unmapped = address.startsWith('::ffff:') ? address.slice(7) : address
  if (isIPv4(unmapped)) return { address, tag: 'peer.ipv4', value: unmapped }
  if (isIPv6(address)) return { address, tag: 'peer.ipv6', value: address }
  return { address, tag: undefined, value: '' }
}

// What node:net's isIPv4 and isIPv6 accept, without node:net (this module is in browser builds).
const IPV4 = /^(?:(?:25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)\.){3}(?:25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)$/
const IPV6_GROUP = /^[\da-fA-F]{1,4}$/
const ZONE_ID = /^[\da-zA-Z.:-]+$/

/** True for a dotted-quad IPv4 address (no leading zeros), as node:net's isIPv4. */
export function isIPv4(address: string): boolean {
  return IPV4.test(address)
}

/** True for an IPv6 address, with an optional IPv4 tail and `%zone`, as node:net's isIPv6. */
export function isIPv6(address: string): boolean {
  const zoneAt = address.indexOf('%')
  if (zoneAt !== -1 && !ZONE_ID.test(address.slice(zoneAt + 1))) return false
  const halves = (zoneAt === -1 ? address : address.slice(0, zoneAt)).split('::')
  if (halves.length > 2) return false
  let groups = 0
  for (let half = 0; half < halves.length; half++) {
    const text = halves[half] as string
    if (text === '') continue
    const parts = text.split(':')
    for (let i = 0; i < parts.length; i++) {
      const part = parts[i] as string
      const last = half === halves.length - 1 && i === parts.length - 1
      if (IPV6_GROUP.test(part)) groups += 1
      else if (last && IPV4.test(part)) groups += 2
      else return false
    }
  }
  // '::' stands for at least one group of zeros.
  return halves.length === 1 ? groups === 8 : groups <= 7
}
