// The URL axios sends a config to, computed cheaply where it can be.
import type { AxiosInstance, InternalAxiosRequestConfig } from 'axios'

/** What a config's URL is made of, as one interceptor saw it. */
export interface UrlInputs {
  readonly url: string | undefined
  readonly baseURL: string | undefined
  readonly params: unknown
}

/** The inputs of `config`'s URL now. */
export function urlInputsOf(config: InternalAxiosRequestConfig): UrlInputs {
  return { url: config.url, baseURL: config.baseURL, params: config.params }
}

/** False when something changed `config`'s URL since `before` was taken. */
export function sameUrlInputs(before: UrlInputs, config: InternalAxiosRequestConfig): boolean {
  return (
    before.url === config.url &&
    before.baseURL === config.baseURL &&
    before.params === config.params
  )
}

/** The URL axios sends `config` to; undefined when axios cannot say either. */
export function fullUrl(
  instance: AxiosInstance,
  config: InternalAxiosRequestConfig,
): string | undefined {
  const plain = plainUrl(config)
  if (plain !== undefined) return plain
  try {
    return instance.getUri(config)
  } catch {
    return undefined
  }
}

/**
 * The URL `config` goes to, `seen` (the URL computed from `seen.inputs`) unless a later interceptor
 * changed them: getUri() is costly, so it is computed again only then.
 */
export function finalUrl(
  instance: AxiosInstance,
  seen: { readonly url: string; readonly urlInputs: UrlInputs } | undefined,
  config: InternalAxiosRequestConfig | undefined,
): string | undefined {
  if (config === undefined) return seen?.url
  if (seen !== undefined && sameUrlInputs(seen.urlInputs, config)) return seen.url
  return fullUrl(instance, config) ?? seen?.url
}

const HTTP_URL = /^https?:\/\//i
const SLASH = 47

// getUri() merges the config with the instance defaults again (costly, see bench/README.md), but the
// config an interceptor sees is merged already. Without params, axios's URL is the request URL,
// joined to baseURL when relative (its buildFullPath and combineURLs): computed here for the
// plain shapes (an http(s) URL, or a path under an http(s) baseURL); getUri() decides the rest.
function plainUrl(config: InternalAxiosRequestConfig): string | undefined {
  const { url, baseURL } = config
  if (config.params || (url !== undefined && typeof url !== 'string')) return undefined
  const absolute = url !== undefined && HTTP_URL.test(url)
  if (absolute && (!baseURL || config.allowAbsoluteUrls !== false)) return url
  // `//host/path` is absolute to axios too (protocol-relative): getUri() says where it goes.
  if (url !== undefined && !absolute && (!url.startsWith('/') || url.startsWith('//'))) {
    return undefined
  }
  if (typeof baseURL !== 'string' || !HTTP_URL.test(baseURL)) return undefined
  if (!url) return baseURL
  let end = baseURL.length
  while (end > 0 && baseURL.charCodeAt(end - 1) === SLASH) end--
  let start = 0
  while (start < url.length && url.charCodeAt(start) === SLASH) start++
  return `${baseURL.slice(0, end)}/${url.slice(start)}`
}
