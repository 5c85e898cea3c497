// tracehop in a real browser: headless Chromium loads a page bundled by esbuild for the browser
// (the OTel web SDK, @tracehop/otel, tracedFetch and axios with tracehop's interceptor) and calls
// traced backends. At the OTLP receiver the page's client span and every backend span form one
// trace, parent by parent, for a same-origin call and for an allowed cross-origin one; a call to
// an origin the page does not trust still gets its client span but carries no trace header.
import assert from 'node:assert/strict'
import { fileURLToPath } from 'node:url'
import { after, before, describe, it } from 'node:test'
import { TRACE_HEADERS } from '@tracehop/core'
import { parseTraceParent } from '@tracehop/testing'
import type { Page } from 'playwright-core'
import { waitFor } from '../support/net.js'
import { bundleForBrowser } from '../../examples/workout/src/page-server.js'
import { attribute, type ReceivedSpan } from '../support/otlp.js'
import { startBackends, type Backends } from './support/backends.js'
import { chromiumMissing, launchChromium, type Chromium } from './support/chromium.js'
import type { PageApi } from './support/page-api.js'

const SERVER = 2
const CLIENT = 3
const PAGE_ENTRY = fileURLToPath(new URL('./support/page.ts', import.meta.url))

type Call = 'fetch' | 'axios'

describe('tracehop in headless Chromium', { skip: chromiumMissing() }, () => {
  let backends: Backends
  let chromium: Chromium
  let page: Page
  const pageErrors: string[] = []

  before(async () => {
    backends = await startBackends(await bundleForBrowser(PAGE_ENTRY))
    chromium = await launchChromium()
    page = await chromium.context.newPage()
    page.on('pageerror', (error) => pageErrors.push(error.message))
    await page.goto(`${backends.web.url}/?allow=${encodeURIComponent(backends.api.url)}`)
    await page.waitForFunction(() => 'tracehopPage' in globalThis)
  })

  after(async () => {
    await chromium?.close()
    await backends?.close()
    assert.deepEqual(pageErrors, [])
  })

  /** Runs one call in the page and returns the JSON body it got. */
  function callFromPage(call: Call, url: string): Promise<unknown> {
    return page.evaluate(
      ([method, target]) =>
        (globalThis as unknown as { tracehopPage: PageApi }).tracehopPage[method](target),
      [call, url] as const,
    )
  }

  /** Makes the page export its finished spans, and waits for `count` spans of `traceId`. */
  async function traceOf(traceId: string, count: number): Promise<ReceivedSpan[]> {
    await page.evaluate(() =>
      (globalThis as unknown as { tracehopPage: PageApi }).tracehopPage.flush(),
    )
    const spans = () => backends.receiver.spans.filter((span) => span.traceId === traceId)
    await waitFor(() => spans().length >= count, `${count} spans of trace ${traceId}`, 10_000)
    return spans()
  }

  /**
   * The trace as one chain from its root: each span the only child of the one before, as
   * `service kind name` lines, after checking that the root is the page's client span `rootId`.
   */
  function chainOf(spans: ReceivedSpan[], rootId: string): string[] {
    const roots = spans.filter(
      (span) => span.parentSpanId === undefined || span.parentSpanId === '',
    )
    assert.deepEqual(
      roots.map((span) => span.spanId),
      [rootId],
      'one root: the page span',
    )
    const chain: string[] = []
    let current: ReceivedSpan | undefined = roots[0]
    while (current !== undefined) {
      chain.push(`${current.service} ${current.kind === SERVER ? 'server' : 'client'}`)
      const parentId: string = current.spanId
      const children = spans.filter((span) => span.parentSpanId === parentId)
      assert.ok(children.length <= 1, `one child of ${current.name}`)
      current = children[0]
    }
    assert.equal(chain.length, spans.length, 'every span of the trace is on the chain')
    return chain
  }

  for (const call of ['fetch', 'axios'] as const) {
    for (const [where, backend] of [
      ['a same-origin call', 'web'],
      ['an allowed cross-origin call', 'api'],
    ] as const) {
      it(`${call}: ${where} and every backend span form one trace`, async () => {
        const url = `${backends[backend].url}/api/hello?call=${call}`
        const body = (await callFromPage(call, url)) as { traceparent: string | null }
        assert.ok(body.traceparent !== null, 'the backend received a traceparent')
        const sent = parseTraceParent(body.traceparent)
        assert.ok(sent !== null)
        const spans = await traceOf(sent.traceId, 4)
        const pageSpan = spans.find((span) => span.spanId === sent.spanId)
        assert.ok(pageSpan !== undefined, "the page's span reached the receiver")
        assert.equal(pageSpan.service, 'browser')
        assert.equal(pageSpan.kind, CLIENT)
        assert.equal(pageSpan.scope, `@tracehop/${call}`)
        assert.equal(attribute(pageSpan, 'url.full'), url)
        assert.deepEqual(chainOf(spans, pageSpan.spanId), [
          'browser client',
          `${backend} server`,
          `${backend} client`,
          'inventory server',
        ])
      })
    }

    it(`${call}: a call made while a span is active is that span's child`, async () => {
      const url = `${backends.web.url}/api/hello?call=${call}-in-action`
      const { body, action } = await page.evaluate(
        ([method, target]) =>
          (globalThis as unknown as { tracehopPage: PageApi }).tracehopPage.inAction(
            method,
            target,
          ),
        [call, url] as const,
      )
      assert.ok(action !== undefined, 'the action span was active')
      const sent = parseTraceParent((body as { traceparent: string }).traceparent)
      assert.equal(sent?.traceId, action.traceId, 'the call continued the action trace')
      const spans = await traceOf(action.traceId, 5)
      const pageSpan = spans.find((span) => span.spanId === sent?.spanId)
      assert.equal(pageSpan?.parentSpanId, action.spanId, "the call's span is the action's child")
    })

    it(`${call}: a call to an origin the page does not trust carries no trace header`, async () => {
      backends.thirdPartyReceived.length = 0
      const url = `${backends.thirdParty.url}/widgets?call=${call}`
      assert.deepEqual(await callFromPage(call, url), { ok: true })
      assert.deepEqual(
        backends.thirdPartyReceived.map((request) => request.method),
        ['GET'],
        'no preflight: the call asked for no extra header',
      )
      const [received] = backends.thirdPartyReceived
      const traceHeadersSent = TRACE_HEADERS.filter((name) => received?.headers[name] !== undefined)
      assert.deepEqual(traceHeadersSent, [])
      await page.evaluate(() =>
        (globalThis as unknown as { tracehopPage: PageApi }).tracehopPage.flush(),
      )
      await waitFor(
        () => backends.receiver.spans.some((span) => attribute(span, 'url.full') === url),
        "the page's client span of the untrusted call",
        10_000,
      )
    })
  }
})
