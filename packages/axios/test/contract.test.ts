import { registerTracingInterceptor } from '@tracehop/axios'
import axios from 'axios'
import type { Echo } from '../../../test/support/echo-server.js'
import { describeClientContract } from '../../../test/contract/client-contract.js'
import { testHttpsAgent } from '../../../test/support/tls-clients.js'

describeClientContract('axios', (options) => {
  const instance = axios.create({ validateStatus: () => true })
  const unregister =
    options === undefined ? () => undefined : registerTracingInterceptor(instance, options)
  return {
    async send(url, request = {}) {
      const response = await instance.request<Echo>({
        url,
        method: request.method ?? 'GET',
        headers: request.headers ?? {},
        timeout: request.timeoutMs ?? 0,
        ...(request.signal && { signal: request.signal }),
        ...(url.startsWith('https:') && { httpsAgent: testHttpsAgent(request.connectTo) }),
      })
      return { status: response.status, echo: response.data }
    },
    dispose: unregister,
  }
})
