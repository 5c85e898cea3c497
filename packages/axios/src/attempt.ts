// One attempt of a call (a retry is another): what tracehop keeps of it, and the mark it leaves on
// the config it was sent with.
import type { ClientSpanHandle } from '@tracehop/core/adapter'
import type { InternalAxiosRequestConfig } from 'axios'
import type { Span } from 'opentracing'
import type { UrlInputs } from './urls.js'

/**
 * The config key of tracehop's mark: which attempt the config was sent as, and the trace headers
 * it carried, which the next attempt replaces or removes while leaving any the app set itself. A
 * string, so that a copy of the config made by another interceptor keeps it, and axios copies it
 * when a retry re-sends the config.
 */
export const MARK = 'tracehop'

/** What an attempt leaves on its config, as the app sees it (and an earlier version left it). */
export interface Mark {
  readonly attempt: number
  readonly sent: Readonly<Record<string, string>>
}

const PARENT = Symbol('tracehop.axios.parent')

/**
 * The mark tracehop leaves. A class, not a plain object: axios deep-copies plain objects into a
 * retry's config but passes this one on as it is, so a retry still finds the parent. That sits
 * under a symbol, out of the config's JSON and of axios's error.toJSON(), and is held weakly: a
 * response the app keeps does not keep the span alive through its config.
 */
export class AttemptMark implements Mark {
  readonly [PARENT]: WeakRef<Span> | undefined

  constructor(
    readonly attempt: number,
    /** Emptied when the headers are taken off at dispatch (see checkDestination). */
    public sent: Readonly<Record<string, string>>,
    parent: WeakRef<Span> | undefined,
  ) {
    this[PARENT] = parent
  }

  /** The span the first attempt of the call was a child of, if it is still around. */
  parent(): Span | undefined {
    return this[PARENT]?.deref()
  }
}

/** What the request interceptor knew of an attempt, to find and finish it later. */
export interface Attempt {
  readonly id: number
  readonly call: ClientSpanHandle
  readonly mark: AttemptMark
  /** The URL the span started with, and what it was computed from. */
  readonly url: string
  readonly urlInputs: UrlInputs
  // Watching the call's CancelToken (see CancellableCalls).
  cancellable: WeakRef<InternalAxiosRequestConfig> | undefined
}

/** The mark an earlier attempt left on `config`, if it is one (anything else there is ignored). */
export function markOf(config: InternalAxiosRequestConfig | undefined): Mark | undefined {
  const mark = (config as Record<string, unknown> | undefined)?.[MARK] as Partial<Mark> | undefined
  if (mark === null || typeof mark !== 'object' || typeof mark.attempt !== 'number')
    return undefined
  const sent = mark.sent
  return sent !== null && typeof sent === 'object' ? (mark as Mark) : undefined
}

/** The span the call `mark` was left by was a child of (the first attempt's parent), if known. */
export function parentOf(mark: Mark | undefined): Span | undefined {
  return mark instanceof AttemptMark ? mark.parent() : undefined
}

/**
 * WeakRefs to parent spans, one per span rather than one per call: the calls made in a row under
 * one span (a handler's, a page's interaction) share it.
 */
export class ParentRefs {
  private last: WeakRef<Span> | undefined

  /** A WeakRef to `span`, or undefined for none. */
  refTo(span: Span | undefined): WeakRef<Span> | undefined {
    if (span === undefined) return undefined
    if (this.last?.deref() !== span) this.last = new WeakRef(span)
    return this.last
  }
}

/** True when `config` carries the mark `attempt` left: it was sent as that attempt. */
export function carriesMarkOf(attempt: Attempt, config: InternalAxiosRequestConfig): boolean {
  return (config as unknown as Record<string, unknown>)[MARK] === attempt.mark
}
