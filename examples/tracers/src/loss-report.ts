// Tracer SDKs report spans they could not send (a full queue, a failed export) only to a logger
// they are given, and stay silent without one. This one writes them to stderr, where an operator
// looks, each kind of message at most once per interval: a collector outage fails every batch,
// and a line per batch would bury the service's own logs.
import { diag, DiagLogLevel, type DiagLogger } from '@opentelemetry/api'

const INTERVAL_MS = 10_000
const MAX_KINDS = 100

/** A logger for `source` writing errors and warnings to stderr, each kind once per interval. */
export function lossReporter(source: string, intervalMs = INTERVAL_MS): DiagLogger {
  const kinds = new Map<string, { lastAt: number; suppressed: number }>()
  const report = (message: string, ...args: unknown[]) => {
    const text = [readable(message), ...args.map(String)].join(' ')
    // `Dropped 12 spans` and `Dropped 40 spans` are one kind.
    const kind = text.replace(/\d+/g, 'N')
    const now = Date.now()
    const seen = kinds.get(kind)
    if (seen !== undefined && now - seen.lastAt < intervalMs) {
      seen.suppressed++
      return
    }
    const more = seen?.suppressed ? ` (and ${seen.suppressed} more like it since)` : ''
    process.stderr.write(`${source}: ${text}${more}\n`)
    if (kinds.size >= MAX_KINDS) kinds.clear()
    kinds.set(kind, { lastAt: now, suppressed: 0 })
  }
  const ignore = () => undefined
  return { error: report, warn: report, info: ignore, debug: ignore, verbose: ignore }
}

// The OTel SDK hands its error handler's messages over as JSON, stack included: one line is
// enough for an operator.
function readable(message: string): string {
  if (!message.startsWith('{')) return message
  try {
    const { name, message: text, code } = JSON.parse(message) as Record<string, unknown>
    if (typeof text !== 'string') return message
    const codeText = typeof code === 'string' || typeof code === 'number' ? ` (${code})` : ''
    return `${typeof name === 'string' ? name : 'Error'}: ${text}${codeText}`
  } catch {
    return message
  }
}

let diagRegistered = false

/**
 * Registers a lossReporter as the OTel API's diag logger, once per process. The SDK's
 * BatchSpanProcessor logs a failed export as an error, but the first span it drops from a full
 * queue only as a debug message (the count follows as a warning only when the queue has room
 * again, which never comes if the process stops first): that one message is passed on as well.
 * An application with a diag logger of its own registers it after building its tracers.
 */
export function reportOtelLosses(): void {
  if (diagRegistered) return
  diagRegistered = true
  const reporter = lossReporter('opentelemetry')
  const debug = (message: string, ...args: unknown[]) => {
    if (message.includes('maxQueueSize reached')) reporter.warn(message, ...args)
  }
  diag.setLogger(
    { ...reporter, debug },
    { logLevel: DiagLogLevel.DEBUG, suppressOverrideMessage: true },
  )
}
