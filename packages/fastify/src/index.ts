import { tracingPlugin } from './plugin.js'

export { tracingPlugin }
export type { FastifyTracingOptions } from './plugin.js'
export default tracingPlugin
