// @tracehop/otel's browser build as a page loads it, with no browser needed: bundled for the
// browser platform with the OTel web SDK and run without Node's globals (no `process`), it warns
// through the console and, on the web SDK's StackContextManager, nests tracehop's spans in OTel's.
import assert from 'node:assert/strict'
import { before, describe, it } from 'node:test'
import type * as WebSdk from '@opentelemetry/sdk-trace-web'
import type * as Core from '@tracehop/core'
import type * as Otel from '@tracehop/otel'
import {
  bundleForBrowser,
  pageGlobals,
  runInPage,
  type BrowserBundle,
} from '../support/browser-bundle.js'

type PageExports = typeof WebSdk & typeof Otel & typeof Core

const SOURCE = `export * from '@opentelemetry/sdk-trace-web'
export { createOtelTracer } from '@tracehop/otel'
export { startActiveSpan } from '@tracehop/core'`

describe('@tracehop/otel in a page (browser build)', () => {
  let bundle: BrowserBundle
  let page: PageExports
  const warnings: string[] = []

  before(async () => {
    bundle = await bundleForBrowser(SOURCE, { format: 'iife' })
    const console = { ...globalThis.console, warn: (message: string) => warnings.push(message) }
    page = runInPage<PageExports>(bundle, {
      ...pageGlobals('https://app.example.com/'),
      console,
      performance,
      navigator: { userAgent: 'test' },
    })
  })

  it('should build from the browser build alone, with no warning', () => {
    assert.deepEqual(bundle.warnings, [])
    const otel = bundle.inputs.filter((input) => input.startsWith('packages/otel/'))
    assert.deepEqual(otel, ['packages/otel/dist/browser/index.js'])
  })

  it('should warn through the console, once, when the OTel SDK is not set up yet', () => {
    page.createOtelTracer()
    page.createOtelTracer()
    assert.equal(warnings.length, 2)
    assert.match(warnings[0] ?? '', /no OpenTelemetry context manager.*WebTracerProvider/)
    assert.match(warnings[1] ?? '', /no OpenTelemetry propagator/)
  })

  it("should make tracehop's active span OTel's on the web SDK's context manager", () => {
    const exporter = new page.InMemorySpanExporter()
    const provider = new page.WebTracerProvider({
      spanProcessors: [new page.SimpleSpanProcessor(exporter)],
    })
    provider.register()
    const tracer = page.createOtelTracer()
    page.startActiveSpan('click', () => page.startActiveSpan('render', () => undefined), { tracer })
    const [render, click] = exporter.getFinishedSpans()
    assert.equal(render?.name, 'render')
    assert.equal(click?.name, 'click')
    assert.equal(render.parentSpanContext?.spanId, click.spanContext().spanId)
    assert.equal(warnings.length, 2, 'no new warning once the SDK is registered')
  })
})
