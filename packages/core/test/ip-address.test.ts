// The IP checks behind `peer.ipv4`/`peer.ipv6` live in a module that browser builds include, so
// they cannot use node:net: they must accept exactly what node:net accepts.
import assert from 'node:assert/strict'
import net from 'node:net'
import { describe, it } from 'node:test'
import fc from 'fast-check'
import { isIPv4, isIPv6 } from '../src/url.js'

const EDGE_CASES = [
  '',
  '::',
  '::1',
  '1::',
  ':::',
  ':1::',
  '1::2::3',
  '1:2:3:4:5:6:7:8',
  '1:2:3:4:5:6:7:8:9',
  '1:2:3:4:5:6:7::',
  '1:2:3:4:5::1.2.3.4',
  '1:2:3:4:5:6::1.2.3.4',
  '1:2:3:4:5:6:1.2.3.4',
  '::ffff:1.2.3.4',
  '::1.2.3.04',
  '1.2.3.4::',
  '::1.2.3.4.5',
  '12345::',
  'g::1',
  'fe80::1%eth0',
  'fe80::1%',
  'fe80::1%a b',
  '%x',
  '1.2.3.4',
  '01.2.3.4',
  '256.1.1.1',
  '1.2.3',
]

function assertSameAsNodeNet(address: string): void {
  assert.equal(isIPv4(address), net.isIPv4(address), `isIPv4(${JSON.stringify(address)})`)
  assert.equal(isIPv6(address), net.isIPv6(address), `isIPv6(${JSON.stringify(address)})`)
}

describe('IP address checks', () => {
  it('should agree with node:net on edge cases', () => {
    for (const address of EDGE_CASES) assertSameAsNodeNet(address)
  })

  it('should agree with node:net on generated addresses and near-addresses', () => {
    const nearAddress = fc.string({
      unit: fc.constantFrom(...'0123456789abcdefABCDEFg:.%-z'.split('')),
      maxLength: 45,
    })
    const anyAddress = fc.oneof(fc.ipV6(), fc.ipV4(), fc.ipV4Extended(), nearAddress)
    fc.assert(
      fc.property(anyAddress, (address) => {
        assertSameAsNodeNet(address)
      }),
      { numRuns: 20_000 },
    )
  })
})
