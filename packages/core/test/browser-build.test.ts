// Core's browser builds as a page loads them: bundled for the browser platform and run without
// Node's globals. `./adapter` has no server lifecycle, the active span lives on a synchronous
// stack, and `propagate` defaults to the page's own origin (`location.origin`).
import assert from 'node:assert/strict'
import { before, describe, it } from 'node:test'
import type * as Core from '@tracehop/core'
import type * as Adapter from '@tracehop/core/adapter'
import { RecordingTracer } from '@tracehop/testing'
import {
  bundleForBrowser,
  pageGlobals,
  runInPage,
  type BrowserBundle,
} from '../../../test/support/browser-bundle.js'

type PageExports = typeof Core & typeof Adapter

describe('core in a page (browser build)', () => {
  let bundle: BrowserBundle

  before(async () => {
    bundle = await bundleForBrowser(
      `export * from '@tracehop/core'
export * from '@tracehop/core/adapter'`,
      { format: 'iife' },
    )
  })

  it('should build with no warning from browser builds, and leave the server lifecycle out', () => {
    assert.deepEqual(bundle.warnings, [])
    const core = bundle.inputs.filter((input) => input.startsWith('packages/core/'))
    assert.ok(core.length > 0)
    for (const input of core) assert.match(input, /^packages\/core\/dist\/browser\//)
    const page = runInPage<PageExports>(bundle, pageGlobals('https://app.example.com/'))
    for (const name of ['activeSpan', 'startActiveSpan', 'withSpan', 'createClientTracing']) {
      assert.equal(typeof page[name as keyof PageExports], 'function', name)
    }
    assert.equal('createServerTracing' in page, false)
  })

  it('should keep the active span for the synchronous part of withSpan only', async () => {
    const page = runInPage<PageExports>(bundle, pageGlobals('https://app.example.com/'))
    const span = new RecordingTracer().startSpan('page')
    const seen = await page.withSpan(span, async () => {
      const before = page.activeSpan()
      await Promise.resolve()
      return [before, page.activeSpan()]
    })
    assert.deepEqual(seen, [span, undefined])
    assert.equal(page.activeSpan(), undefined)
  })

  it("should propagate to location's origin by default, resolving relative URLs", () => {
    const page = runInPage<PageExports>(bundle, pageGlobals('https://app.example.com/shop/'))
    const tracer = new RecordingTracer()
    const client = page.createClientTracing('test', { tracer })
    const relative = client.start({ method: 'GET', url: 'cart?id=1' })
    const crossOrigin = client.start({ method: 'GET', url: 'https://api.example.com/cart' })
    assert.ok(relative?.headers.traceparent)
    assert.deepEqual(Object.keys(crossOrigin?.headers ?? { missing: true }), [])
    relative?.finish({ statusCode: 200 })
    crossOrigin?.finish({ statusCode: 200 })
    assert.deepEqual(
      tracer.finishedSpans().map((span) => span.tags['http.url']),
      ['https://app.example.com/shop/cart?id=1', 'https://api.example.com/cart'],
    )
  })

  it('should propagate everywhere by default where there is no page (no location)', () => {
    const noPage = pageGlobals('https://app.example.com/')
    delete noPage.location
    const page = runInPage<PageExports>(bundle, noPage)
    const client = page.createClientTracing('test', { tracer: new RecordingTracer() })
    const call = client.start({ method: 'GET', url: 'https://api.example.com/cart' })
    assert.ok(call?.headers.traceparent)
    call.finish({ statusCode: 200 })
  })
})
