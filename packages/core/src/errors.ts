/** Log fields of an error, in the OpenTracing convention (`event: 'error'`, `error.object`, …). */
export function describeError(error: unknown): Record<string, unknown> {
  if (error instanceof Error) {
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
    message: safeString(() => String(error)) ?? '',
  }
}

/** Log fields for a response that failed by status alone (no exception was seen). */
export function describeStatusError(statusCode: number | undefined): Record<string, unknown> {
  return {
    event: 'error',
    'error.kind': 'HTTPStatus',
    message: statusCode === undefined ? 'request failed' : `HTTP status ${statusCode}`,
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
