import type { Attempt } from './attempt.js'

// A call whose result an earlier-registered interceptor hid from ours (it returned a value or
// threw something without the config) is given up on after this long: finished as lost. Only
// calls open when such a result came are: one that is merely slow (a large upload) keeps its span
// until its own result.
const GIVE_UP_AFTER_MS = 10 * 60_000
// Whatever came, no call is kept open longer: an interceptor that never settles (one that sends
// the page to a login screen instead) hides a result without a trace, and no span stays open, nor
// its entry kept, forever.
const GIVE_UP_ANYWAY_AFTER_MS = 60 * 60_000

/**
 * The calls in flight, by attempt number: a config copied by another interceptor, or re-sent by a
 * retry, says which attempt it was sent as.
 */
export class OpenCalls {
  private readonly byId = new Map<number, { attempt: Attempt; since: number }>()
  // When the latest result that named no call came; undefined: none has.
  private lastUnnamedResult: number | undefined

  add(attempt: Attempt): void {
    const now = Date.now()
    this.byId.set(attempt.id, { attempt, since: now })
    this.giveUpStale(now)
  }

  /** The open attempt numbered `id`, if any. */
  get(id: number): Attempt | undefined {
    return this.byId.get(id)?.attempt
  }

  /** A result came that names no call (no config): it may be that of any call open now. */
  resultUnnamed(): void {
    this.lastUnnamedResult = Date.now()
  }

  forget(attempt: Attempt): void {
    if (this.byId.get(attempt.id)?.attempt === attempt) this.byId.delete(attempt.id)
  }

  private giveUpStale(now: number): void {
    const unnamed = this.lastUnnamedResult
    // Entries are in insertion order, so the stale ones come first.
    for (const [id, { attempt, since }] of this.byId) {
      const age = now - since
      if (age < GIVE_UP_AFTER_MS) return
      if (age < GIVE_UP_ANYWAY_AFTER_MS && (unnamed === undefined || since > unnamed)) return
      this.byId.delete(id)
      attempt.call.finish({ error: new Error('its result never reached the tracing interceptor') })
    }
  }
}
