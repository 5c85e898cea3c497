import type { ClientSpanHandle } from '@tracehop/core/adapter'

// A call whose result an earlier-registered interceptor hid from ours (it returned a value or
// threw something without the config) is given up on after this long: finished as lost, so no
// span stays open forever. Far longer than any sane HTTP call.
const GIVE_UP_AFTER_MS = 10 * 60_000

// Enough for a retry after a backoff under load; a few hundred short strings at most.
const REMEMBERED_ENDED = 256

const NONE: readonly string[] = []

/**
 * The calls in flight that carry trace headers, found again by those headers: a retry re-sends
 * its config with them, and a copied config keeps them.
 */
export class OpenCalls {
  private readonly byHeaders = new Map<string, { call: ClientSpanHandle; since: number }>()
  // The trace headers of the calls that ended last, oldest first: a retry re-sends them.
  private readonly ended = new Set<string>()
  // One tracer injects the same header names, in the same order, on every call.
  private names: string[] | undefined

  add(call: ClientSpanHandle): void {
    this.names ??= Object.keys(call.headers)
    const now = Date.now()
    this.byHeaders.set(keyOf(call.headers), { call, since: now })
    this.giveUpStale(now)
  }

  /** The open call whose trace headers `read` returns, if any. */
  find(read: (name: string) => string | undefined): ClientSpanHandle | undefined {
    if (this.byHeaders.size === 0) return undefined
    const key = this.keyRead(read)
    return key === undefined ? undefined : this.byHeaders.get(key)?.call
  }

  /**
   * The names of the trace headers `read` returns when they are those of a call made earlier,
   * open or ended (a retry re-sends them), to be removed or replaced; else none.
   */
  staleHeaders(read: (name: string) => string | undefined): readonly string[] {
    const key = this.keyRead(read)
    if (key === undefined || this.names === undefined) return NONE
    return this.byHeaders.has(key) || this.ended.has(key) ? this.names : NONE
  }

  forget(call: ClientSpanHandle): void {
    const key = keyOf(call.headers)
    if (this.byHeaders.get(key)?.call === call) this.byHeaders.delete(key)
    this.ended.add(key)
    if (this.ended.size > REMEMBERED_ENDED) {
      for (const oldest of this.ended) {
        this.ended.delete(oldest)
        break
      }
    }
  }

  private keyRead(read: (name: string) => string | undefined): string | undefined {
    const names = this.names
    if (names === undefined) return undefined
    // A first attempt (the usual case) carries none of the trace headers yet.
    if (names.every((name) => read(name) === undefined)) return undefined
    return names.map((name) => read(name) ?? '').join('\n')
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
