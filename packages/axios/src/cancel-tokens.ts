import type { CancelToken, InternalAxiosRequestConfig } from 'axios'

type Config = InternalAxiosRequestConfig

interface Watched {
  configs: Set<WeakRef<Config>>
  // Gone configs are swept when the set has doubled since the last sweep: O(1) per call.
  sweepAt: number
}

/**
 * The calls in flight under each CancelToken. A token's cancel rejects the call with a reason
 * that carries no config, so the calls it ends are found here. One listener per token, and the
 * configs held weakly: a call whose end is never seen (one that failed before it went out) is
 * not kept alive by a long-lived token.
 */
export class CancellableCalls {
  private readonly byToken = new WeakMap<CancelToken, Watched>()

  constructor(private readonly onCancel: (config: Config, reason: unknown) => void) {}

  /** Watches `config`'s token, if it has one; returns what forget() takes. */
  watch(config: Config): WeakRef<Config> | undefined {
    const token = config.cancelToken
    if (token === undefined || typeof token.subscribe !== 'function') return undefined
    // Cancelled already (before this call, or reused after): axios fails the call at once.
    if (token.reason !== undefined) {
      this.onCancel(config, token.reason)
      return undefined
    }
    let watched = this.byToken.get(token)
    if (watched === undefined) {
      const created: Watched = { configs: new Set(), sweepAt: 16 }
      this.byToken.set(token, created)
      token.subscribe((reason: unknown) => {
        for (const ref of created.configs) {
          const cancelled = ref.deref()
          if (cancelled !== undefined) this.onCancel(cancelled, reason)
        }
        created.configs.clear()
      })
      watched = created
    } else if (watched.configs.size >= watched.sweepAt) {
      for (const ref of watched.configs) if (ref.deref() === undefined) watched.configs.delete(ref)
      watched.sweepAt = Math.max(16, watched.configs.size * 2)
    }
    const ref = new WeakRef(config)
    watched.configs.add(ref)
    return ref
  }

  /** Stops watching a call that ended. */
  forget(config: Config, ref: WeakRef<Config>): void {
    const token = config.cancelToken
    if (token !== undefined) this.byToken.get(token)?.configs.delete(ref)
  }
}
