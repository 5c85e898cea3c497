import type { ClientSpanHandle } from '@tracehop/core/adapter'

// A call whose result an earlier-registered interceptor hid from ours (it returned a value or
// threw something without the config) is given up on after this long: finished as lost, so no
// span stays open forever. Far longer than any sane HTTP call.
const GIVE_UP_AFTER_MS = 10 * 60_000

/**
 * The calls in flight that carry trace headers, found again by those headers: a retry re-sends
 * its config with them, and a copied config keeps them.
 */
export class OpenCalls {
  private readonly byHeaders = new Map<string, { call: ClientSpanHandle; since: number }>()

  add(call: ClientSpanHandle): void {
    const now = Date.now()
    this.byHeaders.set(keyOf(call.headers), { call, since: now })
    this.giveUpStale(now)
  }

  /** The open call that sent `headers`, if any. */
  get(headers: Readonly<Record<string, string>>): ClientSpanHandle | undefined {
    return this.byHeaders.size === 0 ? undefined : this.byHeaders.get(keyOf(headers))?.call
  }

  forget(call: ClientSpanHandle): void {
    const key = keyOf(call.headers)
    if (this.byHeaders.get(key)?.call === call) this.byHeaders.delete(key)
  }

  private giveUpStale(now: number): void {
    // Entries are in insertion order, so the stale ones come first.
    for (const [key, { call, since }] of this.byHeaders) {
      if (now - since < GIVE_UP_AFTER_MS) return
      this.byHeaders.delete(key)
      call.finish({ error: new Error('its result never reached the tracing interceptor') })
    }
  }
}

function keyOf(headers: Readonly<Record<string, string>>): string {
  return Object.values(headers).join('\n')
}
