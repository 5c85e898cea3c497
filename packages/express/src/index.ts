export { tracingMiddleware, tracingErrorHandler } from './middleware.js'
export type { ExpressTracingOptions } from './middleware.js'
