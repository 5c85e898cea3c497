// The demo's page, bundled for the browser by page-server.ts: its button plans a run through
// workout-api, traced from the click (an in-page span, then tracedFetch's client span), and the
// OTel web SDK sends the page's spans back to the page server, which prints the whole trace.
import { startActiveSpan } from '@tracehop/core'
import { tracedFetch } from '@tracehop/fetch'
import { registerPageTracing } from './page-tracing.js'

// The few DOM members used here (the examples compile without the DOM library).
interface Element {
  textContent: string | null
  addEventListener(type: 'click', listener: () => void): void
}
interface PageGlobals {
  location: { origin: string }
  document: {
    body: { dataset: Record<string, string | undefined> }
    querySelector(selector: string): Element
  }
}
const { location, document } = globalThis as unknown as PageGlobals
const apiUrl = document.body.dataset.api ?? ''

const provider = registerPageTracing('browser', location.origin)
// workout-api is another origin: trace headers go there too (it allows them through CORS).
const fetchTraced = tracedFetch(undefined, { propagate: apiUrl })

const workout = {
  name: 'intervals',
  intervals: Array.from({ length: 6 }, (_, i) => ({ minutes: 3, pace: i % 2 ? '6:30' : '4:30' })),
}

async function planRun(): Promise<string> {
  const response = await fetchTraced(`${apiUrl}/workouts`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify(workout),
  })
  return `${response.status} ${await response.text()}`
}

const output = document.querySelector('output')
document.querySelector('button').addEventListener('click', () => {
  output.textContent = 'planning…'
  startActiveSpan('click "Plan a run"', planRun)
    .catch((error: unknown) => String(error))
    .then(async (result) => {
      output.textContent = result
      // The click's spans go now, together, so the demo prints each trace once.
      await provider.forceFlush()
    })
    .catch((error: unknown) => (output.textContent = String(error)))
})
