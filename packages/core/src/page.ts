// The page a browser build runs in, read from the globals a browser (window or worker) defines.
// Node has none of them: there the browser build behaves as outside any page.

/** The page's origin and how its relative URLs resolve. */
export interface Page {
  /** The page's origin (`self.origin`, else `location.origin`); 'null' for an opaque one. */
  readonly origin: string
  /** `url` made absolute against the document's base URL; as it was when it cannot be. */
  absolute(url: string): string
}

interface PageGlobals {
  origin?: unknown
  location?: { origin?: unknown; href?: unknown }
  document?: { baseURI?: unknown }
}

/** The page this code runs in, or undefined outside one (no `location`). */
export function currentPage(): Page | undefined {
  const globals = globalThis as PageGlobals
  const address = globals.location?.origin
  if (typeof address !== 'string') return undefined
  // The page's own origin, which is opaque ('null') in a sandboxed page whose address is not.
  const origin = typeof globals.origin === 'string' ? globals.origin : address
  return { origin, absolute: (url) => resolve(url, globals) }
}

// As fetch and XMLHttpRequest resolve it: against the document's base URL (a <base> element's,
// else the page's own), which can change, so it is read on each call. A URL with a scheme is
// resolved too: `https:reports` is a path of an https page, as a browser reads it.
function resolve(url: string, globals: PageGlobals): string {
  const base = globals.document?.baseURI ?? globals.location?.href
  try {
    return new URL(url, typeof base === 'string' ? base : undefined).href
  } catch {
    return url
  }
}
