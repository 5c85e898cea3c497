import { tracedFetch } from '@tracehop/fetch'
import type { Echo } from '../../../test/support/echo-server.js'
import { describeClientContract } from '../../../test/contract/client-contract.js'
import { testDispatcher } from '../../../test/support/tls-clients.js'

describeClientContract('fetch', (options) => {
  const fetch = options === undefined ? globalThis.fetch : tracedFetch(globalThis.fetch, options)
  return {
    async send(url, request = {}) {
      const signals = [
        request.signal,
        request.timeoutMs === undefined ? undefined : AbortSignal.timeout(request.timeoutMs),
      ]
      const signal = signals.filter((s): s is AbortSignal => s !== undefined)
      // Node's fetch takes undici's `dispatcher`, typed by another undici than the one used here.
      const dispatcher = url.startsWith('https:') ? testDispatcher(request.connectTo) : undefined
      const response = await fetch(url, {
        method: request.method ?? 'GET',
        headers: request.headers ?? {},
        signal: signal.length === 0 ? null : AbortSignal.any(signal),
        ...(dispatcher && { dispatcher }),
      } as unknown as RequestInit)
      return { status: response.status, echo: (await response.json()) as Echo }
    },
    dispose: () => undefined,
  }
})
