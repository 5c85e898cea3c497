export { tracedFetch } from './fetch.js'
export type { FetchTracingOptions } from './fetch.js'
