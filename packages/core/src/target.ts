// Where an outbound call goes: its URL as the HTTP client resolves it (in a page, against the
// document), parsed once, and described by the redacted URL and peer tags of its span.
import type { Page } from './page.js'
import { capTag, redactUrl } from './url.js'

/** `url` absolute: in a page, a relative URL resolved against the document, as the client does. */
export function absoluteUrl(page: Page | undefined, url: string | URL): string | URL {
  return page === undefined || typeof url !== 'string' ? url : page.absolute(url)
}

/** The URLs of a call, as given and as resolved in the page. */
export function givenUrls(
  page: Page | undefined,
  ...urls: Array<string | URL | undefined>
): string[] {
  return urls.flatMap((url) =>
    url === undefined ? [] : [String(url), String(absoluteUrl(page, url))],
  )
}

/** A call's URL, parsed once for its host and the `propagate` rule; undefined if it cannot be. */
export function parseUrl(url: string | URL): URL | undefined {
  if (typeof url !== 'string') return url
  try {
    return new URL(url)
  } catch {
    return undefined
  }
}

/** The redacted URL and peer tags of the target at `href`, and its `host:port`. */
export function describeTarget(
  href: string,
  parsed: URL | undefined,
): { peer: string; tags: Record<string, unknown> } {
  let hostname = 'unknown'
  let port = ''
  if (parsed !== undefined) {
    hostname = parsed.hostname.startsWith('[') ? parsed.hostname.slice(1, -1) : parsed.hostname
    port = parsed.port || defaultPort(parsed.protocol)
  }
  // An IPv6 address in brackets, as in a URL: `[::1]:8080`, not `::1:8080`.
  const host = hostname.includes(':') ? `[${hostname}]` : hostname
  const tags: Record<string, unknown> = {
    'http.url': redactUrl(href),
    'peer.hostname': capTag(hostname),
  }
  if (port !== '') tags['peer.port'] = Number(port)
  return { peer: port === '' ? host : `${host}:${port}`, tags }
}

function defaultPort(protocol: string): string {
  if (protocol === 'https:' || protocol === 'wss:') return '443'
  if (protocol === 'http:' || protocol === 'ws:') return '80'
  return ''
}
