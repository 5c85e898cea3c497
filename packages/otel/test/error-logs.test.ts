// An OpenTracing error log becomes one `exception` event: the error's type, message and stack,
// and whatever else the log said beside them, as attributes of that event.
import assert from 'node:assert/strict'
import { beforeEach, describe, it } from 'node:test'
import { createOtelTracer } from '../src/index.js'
import { sdk } from '../../../test/support/otel-sdk.js'

const tracer = createOtelTracer()

function eventOf(fields: Record<string, unknown>) {
  const span = tracer.startSpan('payment')
  span.log(fields)
  span.finish()
  const events = sdk.only().events
  assert.equal(events.length, 1)
  assert.equal(events[0]?.name, 'exception')
  return events[0]?.attributes ?? {}
}

describe('error logs', () => {
  beforeEach(() => sdk.reset())

  it('should keep the fields of an error log beside the exception it records', () => {
    const declined = Object.assign(new Error('card declined'), { code: 'CARD_DECLINED' })
    const attributes = eventOf({
      event: 'error',
      'error.object': declined,
      'payment.id': 'p-991',
      'retry.attempt': 3,
      detail: { gateway: 'acme' },
    })
    assert.equal(attributes['exception.type'], 'CARD_DECLINED')
    assert.equal(attributes['exception.message'], 'card declined')
    assert.match(String(attributes['exception.stacktrace']), /card declined\n\s+at /)
    assert.equal(attributes['payment.id'], 'p-991')
    assert.equal(attributes['retry.attempt'], 3)
    assert.equal(attributes.detail, '{"gateway":"acme"}')
  })

  it('should name the exception by its code, a number too, whatever else the log says', () => {
    const duplicate = () => Object.assign(new Error('duplicate key'), { code: 11000 })
    const plain = eventOf({ event: 'error', 'error.object': duplicate() })
    sdk.reset()
    const withFields = eventOf({ event: 'error', 'error.object': duplicate(), 'order.id': 'o-1' })
    assert.equal(plain['exception.type'], '11000')
    assert.equal(withFields['exception.type'], '11000')
  })

  it('should keep them for an error logged without an Error object too', () => {
    const attributes = eventOf({
      event: 'error',
      'error.kind': 'Timeout',
      message: 'no answer',
      'payment.id': 'p-992',
    })
    assert.deepEqual(attributes, {
      'exception.type': 'Timeout',
      'exception.message': 'no answer',
      'payment.id': 'p-992',
    })
  })

  it('should write only what the error says for a log that says nothing else', () => {
    const attributes = eventOf({ event: 'error', 'error.object': new TypeError('bad input') })
    assert.deepEqual(Object.keys(attributes).sort(), [
      'exception.message',
      'exception.stacktrace',
      'exception.type',
    ])
    assert.equal(attributes['exception.type'], 'TypeError')
  })
})
