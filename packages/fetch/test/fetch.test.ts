import assert from 'node:assert/strict'
import { Readable } from 'node:stream'
import { beforeEach, describe, it } from 'node:test'
import { withSpan } from '@tracehop/core'
import { tracedFetch } from '@tracehop/fetch'
import { parseTraceParent } from '@tracehop/testing'
import { Agent, fetch as undiciFetch, Request as UndiciRequest } from 'undici'
import { useEchoServer, type Echo } from '../../../test/support/echo-server.js'
import { useRecordingTracer } from '../../../test/support/recording-tracer.js'

describe('tracedFetch', () => {
  const echo = useEchoServer()
  const recording = useRecordingTracer()
  let fetch: typeof globalThis.fetch

  beforeEach(() => {
    fetch = tracedFetch(globalThis.fetch, { tracer: recording.tracer })
    echo.received.length = 0
  })

  const lastEcho = (): Echo => echo.received[echo.received.length - 1]!
  const sentSpanId = (): string | undefined =>
    parseTraceParent(String(lastEcho().headers.traceparent))?.spanId

  it('should accept a string, a URL and a Request, keeping method, headers and body', async () => {
    await fetch(`${echo.url}/string`)
    await fetch(new URL(`${echo.url}/url`), { method: 'DELETE' })
    const request = new Request(`${echo.url}/request`, {
      method: 'PUT',
      headers: { 'x-from-request': 'r' },
      body: 'payload',
    })
    const response = await fetch(request)
    assert.equal(response.status, 200)
    const received = echo.received.map((echoed) => [echoed.method, echoed.url])
    assert.deepEqual(received, [
      ['GET', '/string'],
      ['DELETE', '/url'],
      ['PUT', '/request'],
    ])
    assert.equal(lastEcho().headers['x-from-request'], 'r')
    assert.equal(lastEcho().body, 'payload')
    assert.equal(sentSpanId(), recording.tracer.finishedSpans()[2]?.spanId)
    assert.deepEqual(
      recording.tracer.finishedSpans().map((span) => span.tags['http.method']),
      ['GET', 'DELETE', 'PUT'],
    )
  })

  it('should let init headers replace a Request own headers, as fetch does', async () => {
    const request = new Request(`${echo.url}/x`, { headers: { 'x-request': 'r' } })
    await fetch(request, { headers: { 'x-init': 'i' } })
    assert.equal(lastEcho().headers['x-request'], undefined)
    assert.equal(lastEcho().headers['x-init'], 'i')
    assert.ok(lastEcho().headers.traceparent)
  })

  // Fetch keeps a Request's referrer and referrer policy under an empty init, as the standard
  // says (undici 6 in Node 20 and 22, undici 8 in Node 26), but undici 7 (Node 24) resets them
  // under any init or none.
  type Policy = NonNullable<RequestInit['referrerPolicy']>
  const keepsReferrer = Number(process.versions.undici?.split('.')[0]) !== 7
  const referred = (referrer: string, referrerPolicy: Policy = 'unsafe-url') =>
    new Request(`${echo.url}/referred`, { referrer, referrerPolicy })

  it("should send a Request's referrer as fetch does when the caller gave no init", async () => {
    const referrer = `${echo.url}/page?step=2`
    const cases: Array<[Policy, string]> = [
      ['unsafe-url', referrer],
      ['origin', `${echo.url}/`],
    ]
    for (const [policy, sent] of cases) {
      await globalThis.fetch(referred(referrer, policy))
      const untraced = lastEcho().headers.referer
      await fetch(referred(referrer, policy))
      assert.ok(lastEcho().headers.traceparent)
      assert.equal(lastEcho().headers.referer, untraced, `${policy}: as fetch sends it`)
      assert.equal(lastEcho().headers.referer, keepsReferrer ? sent : undefined, policy)
    }
    await fetch(referred(referrer), { headers: { 'x-init': 'i' } })
    assert.equal(lastEcho().headers.referer, undefined, 'an init resets them, as fetch does')
  })

  it('should count an init as given as fetch does: a member it reads, not undefined', async () => {
    const referrer = `${echo.url}/page?step=3`
    const inits: Array<[init: object, kept: boolean]> = [
      [{ signal: undefined }, keepsReferrer],
      [{ headers: undefined, body: undefined }, keepsReferrer],
      [{ unknownMember: 1 }, keepsReferrer],
      [{ method: 'GET' }, false],
      [{ headers: {} }, false],
    ]
    for (const [init, kept] of inits) {
      await globalThis.fetch(referred(referrer), init)
      const untraced = lastEcho().headers.referer
      await fetch(referred(referrer), init)
      const described = JSON.stringify(init)
      assert.ok(lastEcho().headers.traceparent, described)
      assert.equal(lastEcho().headers.referer, untraced, `${described}: as fetch sends it`)
      assert.equal(lastEcho().headers.referer, kept ? referrer : undefined, described)
    }
  })

  it('should read an init as fetch does: inherited members and getters too', async () => {
    const inherited = Object.create({ method: 'DELETE' }) as RequestInit
    await fetch(`${echo.url}/inherited`, inherited)
    assert.equal(lastEcho().method, 'DELETE')
    class PostInit {
      get method() {
        return 'POST'
      }
      body = 'payload'
    }
    await fetch(`${echo.url}/getter`, new PostInit())
    assert.deepEqual([lastEcho().method, lastEcho().body], ['POST', 'payload'])
    assert.ok(lastEcho().headers.traceparent)
    const throwing = Object.create({
      get cache(): never {
        throw new Error('unreadable init')
      },
    }) as RequestInit
    await assert.rejects(fetch(`${echo.url}/unreadable`, throwing), /unreadable init/)
    const noSignal = Object.create({
      get signal(): never {
        throw new Error('unreadable signal')
      },
    }) as RequestInit
    await assert.rejects(fetch(`${echo.url}/unreadable`, noSignal), /unreadable signal/)
    const controller = new AbortController()
    const reason = Object.defineProperty(new Error('odd'), 'name', {
      get(): never {
        throw new Error('unreadable name')
      },
    })
    controller.abort(reason)
    await assert.rejects(fetch(`${echo.url}/odd`, { signal: controller.signal }), (error) => {
      return error === reason
    })
    assert.equal(recording.tracer.finishedSpans().length, 5, 'the failed calls are finished too')
  })

  it("should keep undici's dispatcher, inherited or not", async () => {
    let dispatched = 0
    class CountingAgent extends Agent {
      override dispatch(...args: Parameters<Agent['dispatch']>) {
        dispatched += 1
        return super.dispatch(...args)
      }
    }
    const agent = new CountingAgent()
    try {
      const inherited = Object.create({ dispatcher: agent }) as RequestInit
      await fetch(`${echo.url}/own`, { dispatcher: agent } as unknown as RequestInit)
      await fetch(`${echo.url}/inherited`, inherited)
    } finally {
      await agent.close()
    }
    assert.equal(dispatched, 2)
    assert.ok(lastEcho().headers.traceparent)
  })

  it("should hand OpenTelemetry's exporters the fetch it wraps", () => {
    const traced = tracedFetch(globalThis.fetch) as typeof fetch & { __original?: unknown }
    assert.equal(traced.__original, globalThis.fetch)
  })

  it('should not trace a data: URL, which is read in place', async () => {
    const response = await fetch('data:text/plain,hello')
    assert.equal(await response.text(), 'hello')
    assert.deepEqual(recording.tracer.spans(), [])
  })

  it('should stream a request body with duplex half', async () => {
    const body = Readable.toWeb(Readable.from(['str', 'eam'])) as ReadableStream<Uint8Array>
    await fetch(`${echo.url}/stream`, { method: 'POST', body, duplex: 'half' })
    assert.equal(lastEcho().body, 'stream')
    assert.equal(sentSpanId(), recording.tracer.finishedSpans()[0]?.spanId)
  })

  it('should keep the streamed body of a Request made with duplex half', async () => {
    const body = Readable.toWeb(Readable.from(['req', 'uest'])) as ReadableStream<Uint8Array>
    const init = { method: 'POST', body, duplex: 'half' }
    await fetch(new Request(`${echo.url}/stream-request`, init as RequestInit))
    assert.equal(lastEcho().body, 'request')
    assert.equal(sentSpanId(), recording.tracer.finishedSpans()[0]?.spanId)
  })

  it('should accept Headers, pairs and records, and mutate none of them', async () => {
    const headers = new Headers({ 'x-kind': 'headers' })
    const pairs: Array<[string, string]> = [['x-kind', 'pairs']]
    const record = { 'x-kind': 'record' }
    const init = { headers: record }
    for (const h of [headers, pairs, init.headers]) await fetch(`${echo.url}/h`, { headers: h })
    assert.deepEqual([...headers], [['x-kind', 'headers']])
    assert.deepEqual(pairs, [['x-kind', 'pairs']])
    assert.deepEqual(init, { headers: { 'x-kind': 'record' } })
    assert.deepEqual(
      echo.received.map((received) => received.headers['x-kind']),
      ['headers', 'pairs', 'record'],
    )
    for (const received of echo.received) assert.match(String(received.headers.traceparent), /^00-/)
  })

  it('should not mutate a Request passed in', async () => {
    const request = new Request(`${echo.url}/x`, { headers: { 'x-a': '1' } })
    await fetch(request)
    assert.deepEqual([...request.headers], [['x-a', '1']])
  })

  it("should return fetch's own Response, finished when the headers arrive", async () => {
    const parent = recording.tracer.startSpan('handler')
    const response = await withSpan(parent, () => fetch(`${echo.url}/slow-body`))
    assert.ok(response instanceof Response)
    assert.equal(recording.tracer.finishedSpans().length, 1)
    await response.json()
    parent.finish()
    assert.equal(recording.tracer.finishedSpans()[0]?.parentId, parent.spanId)
  })

  it("should type the result as the wrapped fetch's signature, and no more", () => {
    // Checked by the typecheck step (test/tsconfig.json): each @ts-expect-error must hold.
    const byDefault: ReturnType<typeof tracedFetch> = tracedFetch()
    const undiciTraced: (
      ...args: Parameters<typeof undiciFetch>
    ) => ReturnType<typeof undiciFetch> = tracedFetch(undiciFetch)
    // @ts-expect-error a function that takes no URL is no fetch
    tracedFetch((n: number) => Promise.resolve(n * 2))
    const stub = Object.assign((_url: string) => Promise.resolve(new Response('ok')), {
      mock: { calls: [] },
    })
    // @ts-expect-error the wrapper does not carry the wrapped function's members
    assert.equal(tracedFetch(stub).mock, undefined)
    assert.equal(typeof byDefault, 'function')
    assert.equal(typeof undiciTraced, 'function')
  })

  it("should work with undici's fetch and Request", async () => {
    const undiciTraced = tracedFetch(undiciFetch, {
      tracer: recording.tracer,
    })
    // undici's Request is another class than the global one: the wrapper must still read it.
    const request = new UndiciRequest(`${echo.url}/undici`, {
      method: 'POST',
      headers: { 'x-u': 'u' },
      body: 'b',
    })
    // As undici's fetch is typed: the wrapper keeps its signature, so no cast is needed.
    await undiciTraced(request)
    assert.equal(lastEcho().method, 'POST')
    assert.equal(lastEcho().headers['x-u'], 'u')
    assert.equal(lastEcho().body, 'b')
    assert.equal(sentSpanId(), recording.tracer.finishedSpans()[0]?.spanId)
  })

  it("should send an undici Request's referrer as undici's fetch does, on every Node", async () => {
    const undiciTraced = tracedFetch(undiciFetch, {
      tracer: recording.tracer,
    })
    const referrer = `${echo.url}/page?step=4`
    const made = (): unknown =>
      new UndiciRequest(`${echo.url}/undici-referred`, { referrer, referrerPolicy: 'unsafe-url' })
    await undiciFetch(made() as Parameters<typeof undiciFetch>[0])
    const untraced = lastEcho().headers.referer
    await undiciTraced(made() as Parameters<typeof undiciFetch>[0])
    assert.ok(lastEcho().headers.traceparent)
    assert.equal(lastEcho().headers.referer, untraced)
    // This undici is 7, which drops it, whatever undici the Node running here has.
    assert.equal(untraced, undefined)
  })

  it('should record abort(reason) as aborted, whatever the reason is', async () => {
    for (const reason of [new Error('user cancelled'), 'navigated away']) {
      const controller = new AbortController()
      const pending = fetch(`${echo.url}/slow`, { signal: controller.signal })
      setTimeout(() => controller.abort(reason), 20)
      await assert.rejects(pending, (error) => error === reason)
    }
    for (const span of recording.tracer.finishedSpans()) {
      assert.equal(span.tags['http.aborted'], true)
      assert.equal(span.tags.error, undefined)
    }
    assert.equal(recording.tracer.finishedSpans().length, 2)
  })
})
