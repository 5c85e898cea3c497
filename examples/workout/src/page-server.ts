// The browser demo's page server: it serves the page (bundled with esbuild from page.ts, for the
// browser) whose button calls workout-api, and receives the page's spans, which the OTel web SDK
// exports as OTLP/JSON to `/v1/traces` on the page's own origin.
import http from 'node:http'
import { fileURLToPath } from 'node:url'
import { build } from 'esbuild'
import type { DemoSpan } from './analysis.js'
import { startServer, type RunningService } from './service.js'

const PAGE_ENTRY = fileURLToPath(new URL('./page.ts', import.meta.url))

/** What the page server needs: where the page's button goes, and who takes the page's spans. */
export interface PageServerOptions {
  /** workout-api's URL, read when the page is served. */
  apiUrl: () => string
  /** Called with the spans of each export the page sends. */
  onSpans: (spans: DemoSpan[]) => void
}

/** Bundles the page and starts serving it on `host:port` (port 0: any free port). */
export async function startPageServer(
  options: PageServerOptions,
  port: number,
  host: string,
): Promise<RunningService> {
  const script = await bundleForBrowser(PAGE_ENTRY)
  const server = http.createServer((req, res) => {
    if (req.method === 'GET' && req.url === '/') {
      res.writeHead(200, { 'content-type': 'text/html; charset=utf-8' }).end(page(options.apiUrl()))
    } else if (req.method === 'GET' && req.url === '/page.js') {
      res.writeHead(200, { 'content-type': 'text/javascript; charset=utf-8' }).end(script)
    } else if (req.method === 'POST' && req.url === '/v1/traces') {
      const chunks: Buffer[] = []
      req.on('data', (chunk: Buffer) => chunks.push(chunk))
      req.on('end', () => {
        try {
          options.onSpans(fromOtlpJson(Buffer.concat(chunks).toString()))
          res.writeHead(200, { 'content-type': 'application/json' }).end('{}')
        } catch {
          res.writeHead(400, { 'content-type': 'application/json' }).end('{}')
        }
      })
    } else {
      res.writeHead(404).end()
    }
  })
  return startServer(server, port, host)
}

function page(apiUrl: string): string {
  return `<!doctype html>
<html lang="en">
<meta charset="utf-8">
<title>workout: traced from the browser</title>
<body data-api="${apiUrl}">
<h1>workout</h1>
<p>The button posts a workout to workout-api; the demo prints the trace, from this page's click on.</p>
<button type="button">Plan a run</button>
<p><output></output></p>
<script src="/page.js"></script>
</body>
</html>
`
}

/**
 * Bundles `entry` (a TypeScript file) as a browser app's bundler would: one script for the
 * browser, every package resolved through its "browser" export condition, no Node polyfill.
 */
export async function bundleForBrowser(entry: string): Promise<string> {
  const result = await build({
    entryPoints: [entry],
    bundle: true,
    platform: 'browser',
    format: 'iife',
    target: 'es2022',
    write: false,
    logLevel: 'silent',
  })
  const [output] = result.outputFiles
  if (output === undefined) throw new Error(`esbuild produced nothing for ${entry}`)
  return output.text
}

interface OtlpSpan {
  traceId: string
  spanId: string
  parentSpanId?: string
  name: string
  kind?: number
  startTimeUnixNano: string
  endTimeUnixNano: string
}

type OtlpAttributes = Array<{ key: string; value: { stringValue?: string } }>

// OTLP numbers its span kinds from 1 (internal); the analysis reads OpenTracing's names.
const KINDS = ['unspecified', 'internal', 'server', 'client', 'producer', 'consumer']

/** The spans of one OTLP/JSON export, as DemoSpans. */
export function fromOtlpJson(body: string): DemoSpan[] {
  const payload = JSON.parse(body) as {
    resourceSpans?: Array<{
      resource?: { attributes?: OtlpAttributes }
      scopeSpans?: Array<{ spans?: OtlpSpan[] }>
    }>
  }
  const ms = (nanos: string) => Number(BigInt(nanos) / 1000n) / 1000
  return (payload.resourceSpans ?? []).flatMap(({ resource, scopeSpans }) => {
    const name = resource?.attributes?.find(({ key }) => key === 'service.name')
    const service = name?.value.stringValue ?? '?'
    return (scopeSpans ?? []).flatMap(({ spans }) =>
      (spans ?? []).map((span) => ({
        traceId: span.traceId,
        spanId: span.spanId,
        parentId: span.parentSpanId === '' ? undefined : span.parentSpanId,
        operationName: span.name,
        startTime: ms(span.startTimeUnixNano),
        finishTime: ms(span.endTimeUnixNano),
        tags: { 'span.kind': KINDS[span.kind ?? 0] },
        service,
      })),
    )
  })
}
