// The page the browser test loads (bundled for the browser): the OTel web SDK exporting OTLP/HTTP
// to the page's own server, tracehop's tracer on it, and traced fetch and axios calls that the test
// drives through `globalThis.tracehopPage`. `?allow=<origin>` adds an origin to propagate to.
import { registerTracingInterceptor } from '@tracehop/axios'
import { startActiveSpan, traceIds } from '@tracehop/core'
import { tracedFetch } from '@tracehop/fetch'
import axios from 'axios'
import { registerPageTracing } from '../../../examples/workout/src/page-tracing.js'
import type { PageApi } from './page-api.js'

const { location } = globalThis as unknown as { location: { href: string; origin: string } }
const allowed = new URL(location.href).searchParams.getAll('allow')

// The OTel web SDK and tracehop's tracer, set up as the workout demo's page does.
const provider = registerPageTracing('browser', location.origin)

const fetchTraced = tracedFetch(undefined, { propagate: allowed })
const api = axios.create()
registerTracingInterceptor(api, { propagate: allowed })

const page: PageApi = {
  async fetch(url) {
    const response = await fetchTraced(url)
    return response.json()
  },
  async axios(url) {
    const response = await api.get<unknown>(url)
    return response.data
  },
  inAction(call, url) {
    return startActiveSpan('page action', async () => {
      const action = traceIds()
      // The call is made while the action span is active, as synchronous code in a handler is.
      const body = await page[call](url)
      return { body, action }
    })
  },
  flush: () => provider.forceFlush(),
}
Object.assign(globalThis, { tracehopPage: page })
