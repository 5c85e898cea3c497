// A hook first in a request's transformRequest list: the one place where axios runs code after
// every request interceptor, with the config as it is dispatched as `this` (dispatchRequest runs
// the list just before the adapter sends the call).
import type { AxiosInstance, InternalAxiosRequestConfig } from 'axios'

type Config = InternalAxiosRequestConfig
type Transform = (this: Config | undefined, data: unknown, headers: unknown) => unknown

/** The hook of one registration; see hookDispatch(). */
export interface DispatchHook {
  /**
   * Puts the hook first in `config`'s list where it is not: a request's own list replaces the
   * instance's (axios does not merge them), and so does one the app set on the instance later.
   */
  cover(config: Config): void
  /** Takes the hook out of the instance's default list (the list itself back, if unchanged). */
  restore(): void
}

/**
 * Puts a function first in `instance`'s default transformRequest list that calls `onDispatch`
 * with the config being dispatched (it must not throw), so that a request made with the default
 * list needs no list of its own. Instances later made from this one with create() copy the list:
 * `onDispatch` sees their calls too, and must leave those it did not start alone.
 */
export function hookDispatch(
  instance: AxiosInstance,
  onDispatch: (config: Config) => void,
): DispatchHook {
  const hook: Transform = function tracehopDispatching(data) {
    if (this !== null && typeof this === 'object') onDispatch(this)
    return data
  }
  const withHook = (list: unknown): unknown[] => [hook, ...listOf(list)]
  const defaults = instance.defaults
  const original = defaults.transformRequest
  Reflect.set(defaults, 'transformRequest', withHook(original))
  return {
    cover(config) {
      const list = config.transformRequest
      if (!Array.isArray(list) || list[0] !== hook) {
        Reflect.set(config, 'transformRequest', withHook(list))
      }
    },
    restore() {
      const list = defaults.transformRequest
      if (!Array.isArray(list) || !list.includes(hook)) return
      const others = list.filter((transform) => transform !== hook)
      const unchanged = sameItems(others, listOf(original))
      Reflect.set(defaults, 'transformRequest', unchanged ? original : others)
    },
  }
}

// axios takes one function or a list of them.
function listOf(value: unknown): unknown[] {
  if (Array.isArray(value)) return value as unknown[]
  return value === undefined || value === null ? [] : [value]
}

function sameItems(a: readonly unknown[], b: readonly unknown[]): boolean {
  return a.length === b.length && a.every((item, i) => item === b[i])
}
