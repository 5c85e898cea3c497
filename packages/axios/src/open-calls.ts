import type { ClientSpanHandle } from '@tracehop/core/adapter'

// A call whose result an earlier-registered interceptor hid from ours (it returned a value or
// threw something without the config) is given up on after this long: finished as lost, so no
// span stays open forever. Far longer than any sane HTTP call.
const GIVE_UP_AFTER_MS = 10 * 60_000

/**
 * The calls in flight, by attempt number: a config copied by another interceptor, or re-sent by a
 * retry, says which attempt it was sent as.
 */
export class OpenCalls {
  private readonly byAttempt = new Map<number, { call: ClientSpanHandle; since: number }>()

  add(attempt: number, call: ClientSpanHandle): void {
    const now = Date.now()
    this.byAttempt.set(attempt, { call, since: now })
    this.giveUpStale(now)
  }

  /** The open call of `attempt`, if any. */
  get(attempt: number): ClientSpanHandle | undefined {
    return this.byAttempt.get(attempt)?.call
  }

  forget(attempt: number, call: ClientSpanHandle): void {
    if (this.byAttempt.get(attempt)?.call === call) this.byAttempt.delete(attempt)
  }

  private giveUpStale(now: number): void {
    // Entries are in insertion order, so the stale ones come first.
    for (const [attempt, { call, since }] of this.byAttempt) {
      if (now - since < GIVE_UP_AFTER_MS) return
      this.byAttempt.delete(attempt)
      call.finish({ error: new Error('its result never reached the tracing interceptor') })
    }
  }
}
