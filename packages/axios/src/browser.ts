// @tracehop/axios as a browser build has it: in a page axios goes out through XMLHttpRequest or
// fetch, no transport a tracer instruments in Node, so tracehop traces every call itself.
import type { AxiosInstance } from 'axios'
import { installInterceptors, type AxiosTracingOptions } from './interceptor.js'

export type { AxiosTracingOptions } from './interceptor.js'

/**
 * Installs tracehop's request and response interceptors on `instance`: each request becomes a
 * client span, child of the active span, whose context travels in the request headers of calls to
 * the page's own origin (see the `propagate` option). Returns a function that removes both.
 */
export function registerTracingInterceptor(
  instance: AxiosInstance,
  options: AxiosTracingOptions = {},
): () => void {
  return installInterceptors(instance, options, () => undefined)
}
