import { recordError, tracingPlugin } from './plugin.js'

export { recordError, tracingPlugin }
export type { FastifyTracingOptions } from './plugin.js'
export default tracingPlugin
