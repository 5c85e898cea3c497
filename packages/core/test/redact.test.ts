import assert from 'node:assert/strict'
import { describe, it } from 'node:test'
import { redactUrl } from '../src/url.js'

describe('redactUrl', () => {
  const cases: Array<[string, string]> = [
    ['http://example.com/a?b=1', 'http://example.com/a?b=1'],
    ['https://user:pass@example.com/path', 'https://example.com/path'],
    ['https://user@example.com:8443/', 'https://example.com:8443/'],
    ['http://u:p@host/p?next=a@b', 'http://host/p?next=a@b'],
    ['http://host/p?token=abc&page=2', 'http://host/p?token=REDACTED&page=2'],
    ['http://host/p?access_token=abc', 'http://host/p?access_token=REDACTED'],
    ['http://host/p?API_KEY=abc', 'http://host/p?API_KEY=REDACTED'],
    ['http://host/p?password=abc&passwd=x', 'http://host/p?password=REDACTED&passwd=REDACTED'],
    ['http://host/p?client_secret=abc', 'http://host/p?client_secret=REDACTED'],
    ['http://host/p?X-Amz-Signature=abc', 'http://host/p?X-Amz-Signature=REDACTED'],
    ['http://host/p?sig=abc&Signature=d', 'http://host/p?sig=REDACTED&Signature=REDACTED'],
    ['http://host/p?code=abc&state=s', 'http://host/p?code=REDACTED&state=s'],
    ['http://host/p?auth=abc', 'http://host/p?auth=REDACTED'],
    ['http://host/p?to%6Ben=abc', 'http://host/p?to%6Ben=REDACTED'],
    ['http://host/p?%E0%A4%A=abc', 'http://host/p?%E0%A4%A=REDACTED'],
    ['http://host/p?token=', 'http://host/p?token='],
    ['http://host/p?token', 'http://host/p?token'],
    ['http://host/p#frag?token=x', 'http://host/p'],
    ['/relative?secret=1', '/relative?secret=REDACTED'],
    ['http://[::1]:8080/x?key=1', 'http://[::1]:8080/x?key=REDACTED'],
    // URL parsers skip any slashes or backslashes after an http(s) or ws(s) scheme.
    ['http:user:pw@host/p', 'http:host/p'],
    ['https:/user:pw@host/p', 'https:/host/p'],
    ['HTTP:\\\\user:pw@host\\p@x', 'HTTP:\\\\host\\p@x'],
    ['redis://user:pw@cache:6379', 'redis://cache:6379'],
    ['/users/a@b?next=c@d', '/users/a@b?next=c@d'],
    // A scheme-relative URL has an authority too.
    ['//user:pw@host/p', '//host/p'],
  ]
  for (const [input, expected] of cases) {
    it(`should turn ${input} into ${expected}`, () => {
      assert.equal(redactUrl(input), expected)
    })
  }

  it('should drop the credentials a URL parser would read from the URL', () => {
    for (const url of ['http:u:secret@h/', 'https:/u:secret@h/', 'wss:\\\\u:secret@h/']) {
      assert.equal(new URL(url).password, 'secret')
      assert.equal(new URL(redactUrl(url)).password, '', redactUrl(url))
    }
  })

  it('should cap the length', () => {
    const redacted = redactUrl(`http://host/${'a'.repeat(5000)}`)
    assert.equal(redacted.length, 1024)
    assert.ok(redacted.endsWith('…'))
  })
})
