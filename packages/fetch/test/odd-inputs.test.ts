// What fetch makes of inputs and inits an app may pass by mistake: tracing must change nothing,
// so each call is made with plain fetch and traced, and both must send the same request or fail
// with the same error.
import assert from 'node:assert/strict'
import { beforeEach, describe, it } from 'node:test'
import { tracedFetch } from '@tracehop/fetch'
import { useEchoServer } from '../../../test/support/echo-server.js'
import { useRecordingTracer } from '../../../test/support/recording-tracer.js'

type Fetch = typeof globalThis.fetch
type Call = (fetch: Fetch) => Promise<Response>

// How a call settled, comparable across two calls: what the server received, or the error.
async function settle(fetch: Fetch, call: Call): Promise<unknown> {
  try {
    const response = await call(fetch)
    const { method, url, body } = (await response.json()) as Record<string, unknown>
    return { status: response.status, method, url, body }
  } catch (error) {
    if (!(error instanceof Error)) return { thrown: error }
    return { thrown: error.constructor.name, name: error.name, message: error.message }
  }
}

describe('tracedFetch with odd inputs', () => {
  const echo = useEchoServer()
  const recording = useRecordingTracer()
  let traced: Fetch

  beforeEach(() => {
    traced = tracedFetch(globalThis.fetch, { tracer: recording.tracer })
    echo.received.length = 0
  })

  const assertSameAsFetch = async (call: Call, label: string) => {
    const untraced = await settle(globalThis.fetch, call)
    assert.deepEqual(await settle(traced, call), untraced, label)
  }

  it('should make a string of any input but a Request, as fetch does', async () => {
    const url = `${echo.url}/boxed`
    await assertSameAsFetch((fetch) => fetch(null as unknown as string), 'null')
    await assertSameAsFetch((fetch) => fetch(404 as unknown as string), '404')
    await traced(new String(url) as unknown as string)
    await traced({ toString: () => url } as unknown as string)
    for (const received of echo.received) assert.ok(received.headers.traceparent)
    assert.deepEqual(
      recording.tracer.finishedSpans().map((span) => span.tags['http.url']),
      ['null', '404', url, url],
    )
  })

  it('should leave to fetch an input it cannot make a string of, untraced', async () => {
    const unprintable = new Error('no string')
    const input = {
      toString(): never {
        throw unprintable
      },
    }
    await assert.rejects(traced(input as unknown as string), (error) => error === unprintable)
    assert.deepEqual(recording.tracer.spans(), [])
  })

  it('should let fetch refuse null headers, an init not an object, a symbol', async () => {
    const url = `${echo.url}/refused`
    const calls: Array<[Call, string]> = [
      [(fetch) => fetch(url, { headers: null } as unknown as RequestInit), 'null headers'],
      [(fetch) => fetch(url, 'method=POST' as unknown as RequestInit), 'a string init'],
      [(fetch) => fetch(url, 5 as unknown as RequestInit), 'a number init'],
      [(fetch) => fetch(Symbol('x') as unknown as string), 'a symbol input'],
    ]
    for (const [call, label] of calls) await assertSameAsFetch(call, label)
    assert.deepEqual(echo.received, [], 'nothing was sent')
    assert.equal(recording.tracer.finishedSpans().length, calls.length, 'each a failed call')
  })
})

describe('tracedFetch with odd inits and stand-ins', () => {
  const echo = useEchoServer()
  const recording = useRecordingTracer()

  beforeEach(() => {
    echo.received.length = 0
  })

  it("should send a Request's header names as the app wrote them", async () => {
    const traced = tracedFetch(globalThis.fetch, { tracer: recording.tracer })
    const request = new Request(`${echo.url}/cased`, { headers: { 'X-Api-Version': '2' } })
    await traced(request)
    const [plain] = echo.received
    assert.ok(plain?.rawHeaders.includes('X-Api-Version'), String(plain?.rawHeaders))
    assert.ok(plain?.headers.traceparent)
  })

  it('should tell the method as fetch sends it: six in upper case, any other as given', async () => {
    const traced = tracedFetch(globalThis.fetch, { tracer: recording.tracer })
    await traced(`${echo.url}/m`, { method: 'post', body: '{}' })
    // Node's server refuses a method in lower case (400), after fetch sent it so.
    await traced(`${echo.url}/m`, { method: 'patch', body: '{}' })
    assert.deepEqual(
      echo.received.map((received) => received.method),
      ['POST'],
    )
    assert.deepEqual(
      recording.tracer
        .finishedSpans()
        .map((span) => [span.tags['http.method'], span.tags['http.request.method_original']]),
      [
        ['POST', undefined],
        ['PATCH', 'patch'],
      ],
    )
  })

  it('should hand back whatever a stand-in fetch resolves to, and finish the span', async () => {
    const standIn = (() => Promise.resolve(undefined)) as unknown as Fetch
    const traced = tracedFetch(standIn, { tracer: recording.tracer })
    assert.equal(await traced(`${echo.url}/mocked`), undefined)
    const [span] = recording.tracer.finishedSpans()
    assert.equal(span?.tags['http.status_code'], undefined)
    assert.equal(span?.tags.error, undefined)
  })

  it('should record the error of a URL fetch refuses without its credentials or secrets', async () => {
    const traced = tracedFetch(globalThis.fetch, { tracer: recording.tracer })
    const port = new URL(echo.url).port
    const url = `http://user:hunter2@127.0.0.1:${port}/x?token=secret`
    await assert.rejects(traced(url), /hunter2/, 'the caller gets the error as fetch made it')
    const [span] = recording.tracer.finishedSpans()
    assert.equal(span?.tags.error, true)
    const fields = span?.logs[0]?.fields ?? {}
    for (const said of [span?.tags['error.message'], fields.message, fields.stack]) {
      assert.doesNotMatch(String(said), /hunter2|secret/)
    }
    assert.match(String(span?.tags['error.message']), /token=REDACTED/)
  })
})
