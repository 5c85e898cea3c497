// What the test page offers the test, as `globalThis.tracehopPage`.

/** The test page's calls: each returns the JSON body the server answered. */
export interface PageApi {
  /** GET `url` with tracedFetch. */
  fetch(url: string): Promise<unknown>
  /** GET `url` with an axios instance carrying tracehop's interceptor. */
  axios(url: string): Promise<unknown>
  /** Exports every finished span now. */
  flush(): Promise<void>
}
