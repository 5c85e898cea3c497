import type { ErrorHandler } from './types.js'
import { redactUrl } from './url.js'

// A tracer that fails on every request must not flood the logs: each failing call is reported at
// most once per window.
const REPORT_WINDOW_MS = 10_000

/**
 * Reports failures of tracer calls and user hooks through the `onError` option (default: a
 * process warning, in a browser a console warning), at most once per call site and window, and
 * never throws itself.
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
  const detail = isErrorInstance(error) ? error.message : String(error)
  warn(
    'TRACEHOP_TRACER_ERROR',
    `tracehop: ${where} failed, the request goes on untraced there: ${detail}`,
  )
}

/**
 * Writes a warning where the platform shows them: a process warning with `code` in Node, a
 * console warning ending in `[code]` in a page (which has no process).
 */
export function warn(code: string, message: string): void {
  // Read only outside a browser build, which then leaves it out.
  const nodeProcess = globalThis.__TRACEHOP_BROWSER__
    ? undefined
    : (globalThis.process as NodeJS.Process | undefined)
  if (typeof nodeProcess?.emitWarning === 'function') {
    nodeProcess.emitWarning(message, { code })
  } else {
    console.warn(`${message} [${code}]`)
  }
}

/** Why a span failed: the error seen, else the status that made it a failure. */
export interface Failure {
  error: unknown
  statusCode?: number | undefined
}

/**
 * The log of a failure, in the OpenTracing convention (`event: 'error'`, `error.object`,
 * `error.kind`, `message`, `stack`); for a failure by status alone, its kind and message only.
 */
export function failureLog(failure: Failure): Record<string, unknown> {
  const error = failure.error
  if (error === undefined) {
    const status = failure.statusCode
    return {
      event: 'error',
      'error.kind': 'HTTPStatus',
      message: status === undefined ? 'request failed' : `HTTP status ${status}`,
    }
  }
  if (isErrorInstance(error)) {
    return {
      event: 'error',
      'error.object': error,
      'error.kind': safeString(() => error.name) ?? 'Error',
      message: safeString(() => error.message) ?? '',
      stack: safeString(() => error.stack) ?? '',
    }
  }
  return {
    event: 'error',
    'error.object': error,
    'error.kind': typeof error,
    message: safeString(() => String(failure.error)) ?? '',
  }
}

/**
 * Whether `value` is an Error; false where asking throws, as `instanceof` does when it asks a
 * proxy's getPrototypeOf trap (such an error is then told as an object).
 */
export function isErrorInstance(value: unknown): value is Error {
  try {
    return value instanceof Error
  } catch {
    return false
  }
}

/**
 * `error`, or a copy of it (its class, name, message, stack and code) that says each of `urls`
 * redacted, where its message or stack holds one with something to redact.
 */
export function withUrlsRedacted(error: unknown, urls: readonly string[]): unknown {
  if (!isErrorInstance(error)) return error
  const message = safeString(() => error.message) ?? ''
  const stack = safeString(() => error.stack) ?? ''
  const redacted = (text: string) =>
    urls.reduce((said, url) => said.split(url).join(redactUrl(url)), text)
  const said = { message: redacted(message), stack: redacted(stack) }
  if (said.message === message && said.stack === stack) return error
  try {
    // Its code is what some tracers tell its type by (Node's `ERR_INVALID_URL`, say).
    const code = (error as { code?: unknown }).code
    return Object.assign(Object.create(Object.getPrototypeOf(error) as object) as Error, {
      name: safeString(() => error.name) ?? 'Error',
      ...said,
      ...(typeof code === 'string' && { code }),
    })
  } catch {
    return new Error(said.message)
  }
}

// A getter or toString of a user's error object may itself throw.
function safeString(read: () => unknown): string | undefined {
  try {
    const value = read()
    return typeof value === 'string' ? value : undefined
  } catch {
    return undefined
  }
}

/** The error of a request whose connection timed out before its response was sent. */
export class ConnectionTimeoutError extends Error {
  override name = 'ConnectionTimeoutError'
  constructor() {
    super('the connection timed out before the response was sent')
  }
}
