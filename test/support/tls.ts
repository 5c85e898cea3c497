// A self-signed certificate made at run time with node:crypto alone (nothing downloaded, no
// openssl binary): an ECDSA P-256 key and an X.509 v3 certificate, DER-encoded by hand, valid
// for the loopback addresses and the `*.tracehop.test` names the TLS tests connect to.
import { generateKeyPairSync, randomBytes, sign } from 'node:crypto'
import net from 'node:net'

/** A key and its certificate, both PEM; the certificate is also the CA a client trusts. */
export interface TestCertificate {
  key: string
  cert: string
}

/** Names the certificate is valid for, besides 127.0.0.1 and ::1. */
export const CERTIFICATE_NAMES = ['localhost', 'tracehop.test', '*.tracehop.test'] as const

let made: TestCertificate | undefined

/** The process's test certificate, made on first use. */
export function testCertificate(): TestCertificate {
  made ??= selfSigned('tracehop test', [...CERTIFICATE_NAMES], ['127.0.0.1', '::1'])
  return made
}

function selfSigned(commonName: string, dnsNames: string[], ips: string[]): TestCertificate {
  const { privateKey, publicKey } = generateKeyPairSync('ec', { namedCurve: 'P-256' })
  const day = 24 * 60 * 60 * 1000
  const name = seq(set(seq(oid('2.5.4.3'), tlv(0x0c, Buffer.from(commonName, 'utf8')))))
  const altNames = [
    ...dnsNames.map((dns) => tlv(0x82, Buffer.from(dns, 'ascii'))),
    ...ips.map((ip) => tlv(0x87, ipBytes(ip))),
  ]
  const extensions = [
    extension('2.5.29.19', true, seq(tlv(0x01, Buffer.from([0xff])))), // basicConstraints CA
    extension('2.5.29.15', true, tlv(0x03, Buffer.from([0x02, 0x84]))), // digitalSignature, keyCertSign
    extension('2.5.29.37', false, seq(oid('1.3.6.1.5.5.7.3.1'))), // serverAuth
    extension('2.5.29.17', false, seq(...altNames)),
  ]
  const signatureAlgorithm = seq(oid('1.2.840.10045.4.3.2')) // ecdsa-with-SHA256
  // A DER INTEGER: positive (top bit clear) and without a leading zero byte, which a random
  // first byte of 0 would be (one certificate in 256, and OpenSSL refuses it).
  const serial = randomBytes(12)
  serial[0] = 0x40 | ((serial[0] as number) & 0x3f)
  const tbs = seq(
    tlv(0xa0, tlv(0x02, Buffer.from([2]))), // version 3
    tlv(0x02, serial),
    signatureAlgorithm,
    name,
    seq(utcTime(new Date(Date.now() - day)), utcTime(new Date(Date.now() + 30 * day))),
    name,
    publicKey.export({ type: 'spki', format: 'der' }),
    tlv(0xa3, seq(...extensions)),
  )
  const signature = sign('sha256', tbs, privateKey)
  const certificate = seq(
    tbs,
    signatureAlgorithm,
    tlv(0x03, Buffer.concat([Buffer.from([0]), signature])),
  )
  const lines = certificate.toString('base64').match(/.{1,64}/g) ?? []
  return {
    key: privateKey.export({ type: 'pkcs8', format: 'pem' }) as string,
    cert: ['-----BEGIN CERTIFICATE-----', ...lines, '-----END CERTIFICATE-----', ''].join('\n'),
  }
}

function extension(id: string, critical: boolean, value: Buffer): Buffer {
  const flag = critical ? [tlv(0x01, Buffer.from([0xff]))] : []
  return seq(oid(id), ...flag, tlv(0x04, value))
}

function tlv(tag: number, content: Buffer): Buffer {
  const length = content.length
  let header: number[]
  if (length < 0x80) header = [tag, length]
  else if (length < 0x100) header = [tag, 0x81, length]
  else header = [tag, 0x82, length >> 8, length & 0xff]
  return Buffer.concat([Buffer.from(header), content])
}

function seq(...parts: Buffer[]): Buffer {
  return tlv(0x30, Buffer.concat(parts))
}

function set(...parts: Buffer[]): Buffer {
  return tlv(0x31, Buffer.concat(parts))
}

function oid(dotted: string): Buffer {
  const [first = 0, second = 0, ...rest] = dotted.split('.').map(Number)
  const bytes = [first * 40 + second]
  for (const arc of rest) {
    const base128 = [arc & 0x7f]
    for (let value = arc >> 7; value > 0; value >>= 7) base128.unshift((value & 0x7f) | 0x80)
    bytes.push(...base128)
  }
  return tlv(0x06, Buffer.from(bytes))
}

function utcTime(date: Date): Buffer {
  const text = date.toISOString().replace(/[-:T]/g, '').slice(2, 14) + 'Z'
  return tlv(0x17, Buffer.from(text, 'ascii'))
}

function ipBytes(ip: string): Buffer {
  if (net.isIPv4(ip)) return Buffer.from(ip.split('.').map(Number))
  const [head = '', tail = ''] = ip.split('::')
  const words = (part: string) => (part === '' ? [] : part.split(':').map((w) => parseInt(w, 16)))
  const left = words(head)
  const right = words(tail)
  const all = [...left, ...new Array<number>(8 - left.length - right.length).fill(0), ...right]
  return Buffer.from(all.flatMap((word) => [word >> 8, word & 0xff]))
}
