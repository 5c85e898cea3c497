export { registerTracingInterceptor } from './interceptor.js'
export type { AxiosTracingOptions } from './interceptor.js'
