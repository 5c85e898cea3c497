// Bundles code as an application's bundler does for a browser (esbuild, the browser platform and
// export condition), and runs a bundle in a context that has a page's globals and no Node ones.
import assert from 'node:assert/strict'
import { before } from 'node:test'
import { fileURLToPath } from 'node:url'
import vm from 'node:vm'
import { build } from 'esbuild'
import { useEchoServer, type EchoServer } from './echo-server.js'

const REPO_ROOT = fileURLToPath(new URL('../..', import.meta.url))

/** A browser bundle: its code, the files it was made of (repository-relative), its warnings. */
export interface BrowserBundle {
  code: string
  inputs: string[]
  warnings: string[]
}

/** Options of bundleForBrowser(). */
export interface BrowserBundleOptions {
  /** Packages left out of the bundle; default: none. */
  external?: string[]
  /** `esm` (default) or `iife`, whose exports become the global `bundle`. */
  format?: 'esm' | 'iife'
  /** Minify; default: false. */
  minify?: boolean
}

/** Bundles `source` (an entry resolved from the repository root) for a browser. */
export async function bundleForBrowser(
  source: string,
  options: BrowserBundleOptions = {},
): Promise<BrowserBundle> {
  const result = await build({
    stdin: { contents: source, resolveDir: REPO_ROOT, loader: 'js' },
    bundle: true,
    write: false,
    metafile: true,
    platform: 'browser',
    conditions: ['browser'],
    format: options.format ?? 'esm',
    globalName: 'bundle',
    minify: options.minify ?? false,
    external: options.external ?? [],
    logLevel: 'silent',
  })
  const [output] = result.outputFiles
  if (output === undefined) throw new Error('esbuild wrote no output')
  return {
    code: output.text,
    inputs: Object.keys(result.metafile.inputs),
    warnings: result.warnings.map((warning) => warning.text),
  }
}

/** What a page defines that Node's vm context lacks; `fetch` and the rest are Node's own. */
export function pageGlobals(pageUrl: string): Record<string, unknown> {
  const location = new URL(pageUrl)
  return {
    origin: location.origin,
    location: { origin: location.origin, href: location.href },
    fetch,
    Headers,
    Request,
    Response,
    URL,
    URLSearchParams,
    AbortController,
    AbortSignal,
    TextEncoder,
    TextDecoder,
    FormData,
    Blob,
    setTimeout,
    clearTimeout,
    console,
  }
}

/** Runs an `iife` bundle in a fresh context with `globals` and returns its exports. */
export function runInPage<Exports>(
  bundle: BrowserBundle,
  globals: Record<string, unknown>,
): Exports {
  const context = vm.createContext({ ...globals })
  vm.runInContext(bundle.code, context)
  return (context as { bundle: Exports }).bundle
}

/** A page for the tests of a describe(): its own origin's server, another origin's, its code. */
export interface TestPage<Exports> {
  /** Serves the page (`/shop/cart`): calls to it are same-origin. */
  readonly site: EchoServer
  /** Another origin (another port). */
  readonly api: EchoServer
  /** What the page's bundle exports. */
  readonly exports: Exports
}

/**
 * Starts two echo servers for the enclosing describe() and, before its tests, bundles `source` for
 * a browser and runs it as a page of the first one, with `extraGlobals` besides pageGlobals().
 */
export function useTestPage<Exports>(
  source: string,
  extraGlobals: Record<string, unknown> = {},
): TestPage<Exports> {
  const site = useEchoServer()
  const api = useEchoServer()
  let exports: Exports | undefined
  before(async () => {
    const bundle = await bundleForBrowser(source, { format: 'iife' })
    assert.deepEqual(bundle.warnings, [], 'the browser bundle builds without warnings')
    const globals = { ...pageGlobals(`${site.url}/shop/cart`), ...extraGlobals }
    exports = runInPage<Exports>(bundle, globals)
  })
  return {
    site,
    api,
    get exports(): Exports {
      if (exports === undefined) throw new Error('the page loads before the tests: use it in it()')
      return exports
    },
  }
}
