// `npm run demo -- --browser` as a newcomer runs it: the demo serves its page, headless Chromium
// opens it and presses the button, and the waterfall the demo prints starts with the page's span.
import assert from 'node:assert/strict'
import { spawn } from 'node:child_process'
import { once } from 'node:events'
import { fileURLToPath } from 'node:url'
import { describe, it } from 'node:test'
import { waitFor } from '../support/net.js'
import { chromiumMissing, launchChromium } from './support/chromium.js'

const root = fileURLToPath(new URL('../..', import.meta.url))

describe('the workout demo in a browser', { skip: chromiumMissing() }, () => {
  it('--browser: a click on the page prints one trace, from the page to storage', async () => {
    const demo = spawn(
      process.execPath,
      ['--import', 'tsx', 'examples/workout/src/demo.ts', '--browser'],
      { cwd: root, stdio: ['ignore', 'pipe', 'inherit'] },
    )
    let stdout = ''
    demo.stdout.setEncoding('utf8').on('data', (chunk: string) => (stdout += chunk))
    const exited = once(demo, 'exit')
    const chromium = await launchChromium()
    try {
      await waitFor(() => /open (http:\S+) in a browser/.test(stdout), 'the page URL', 60_000)
      const pageUrl = /open (http:\S+) in a browser/.exec(stdout)?.[1] ?? ''
      const page = await chromium.context.newPage()
      await page.goto(pageUrl)
      await page.click('button')
      await page.waitForFunction(() =>
        /^201 /.test(
          (
            globalThis as unknown as {
              document: { querySelector(s: string): { textContent: string } }
            }
          ).document.querySelector('output').textContent,
        ),
      )
      await waitFor(() => /critical path:/.test(stdout), 'the printed trace', 10_000)
    } finally {
      await chromium.close()
      demo.kill('SIGINT')
      await exited
    }
    assert.equal(demo.exitCode, 0)
    const waterfall = stdout.slice(stdout.indexOf('\ntrace '))
    const lines = waterfall.split('\n').slice(2)
    assert.match(lines[0] ?? '', /^browser +click "Plan a run" +[\d.]+ ms +\|█/)
    assert.match(waterfall, /^ {2}browser +POST 127\.0\.0\.1:\d+ +[\d.]+ ms/m)
    assert.match(waterfall, /^ {4}workout-api +POST \/workouts/m)
    assert.match(waterfall, /^ {10}run-controller +POST \/runs/m)
    assert.match(waterfall, /^ {14}storage +POST \/runs\/:runId\/segments/m)
    assert.match(waterfall, /slowest span: run-controller POST \/runs/)
    assert.match(waterfall, /critical path: browser click "Plan a run" → browser POST .* → storage/)
  })
})

describe('the workout demo with a tracer the page cannot continue', () => {
  it('--browser with TRACER=jaeger: refuses at once, naming the tracers that work', async () => {
    const demo = spawn(
      process.execPath,
      ['--import', 'tsx', 'examples/workout/src/demo.ts', '--browser'],
      { cwd: root, env: { ...process.env, TRACER: 'jaeger' }, stdio: ['ignore', 'pipe', 'pipe'] },
    )
    let stderr = ''
    demo.stderr.setEncoding('utf8').on('data', (chunk: string) => (stderr += chunk))
    const [code] = (await once(demo, 'exit')) as [number | null]
    assert.equal(code, 1)
    assert.match(stderr, /TRACER=jaeger reads no W3C traceparent, which the page sends/)
  })
})
