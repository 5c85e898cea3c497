// What the test page offers the test, as `globalThis.tracehopPage`.

/** The test page's calls: each returns the JSON body the server answered. */
export interface PageApi {
  /** GET `url` with tracedFetch. */
  fetch(url: string): Promise<unknown>
  /** GET `url` with an axios instance carrying tracehop's interceptor. */
  axios(url: string): Promise<unknown>
  /**
   * GET `url` with `call` inside `startActiveSpan('page action', ...)`, as a click handler does;
   * returns the JSON body and the action span's trace and span ids.
   */
  inAction(
    call: 'fetch' | 'axios',
    url: string,
  ): Promise<{ body: unknown; action: { traceId: string; spanId: string } | undefined }>
  /** Exports every finished span now. */
  flush(): Promise<void>
}
