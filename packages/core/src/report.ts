/** Receives each failure of the tracer or of a user hook; `where` names the failing call. */
export type ErrorHandler = (error: unknown, where: string) => void

// A tracer that fails on every request must not flood the logs: each failing call is reported at
// most once per window.
const REPORT_WINDOW_MS = 10_000

/**
 * Reports failures of tracer calls and user hooks through the `onError` option (default: a
 * process warning), at most once per call site and window, and never throws itself.
 */
export class ErrorReporter {
  private readonly lastReported = new Map<string, number>()

  constructor(private readonly handler: ErrorHandler = emitWarning) {}

  report(where: string, error: unknown): void {
    const now = Date.now()
    const last = this.lastReported.get(where)
    if (last !== undefined && now - last < REPORT_WINDOW_MS) return
    this.lastReported.set(where, now)
    try {
      this.handler(error, where)
    } catch {
      // The error handler is the last resort; if it throws, there is nobody left to tell.
    }
  }
}

function emitWarning(error: unknown, where: string): void {
  const detail = error instanceof Error ? error.message : String(error)
  process.emitWarning(`tracehop: ${where} failed, the request goes on untraced there: ${detail}`, {
    code: 'TRACEHOP_TRACER_ERROR',
  })
}
