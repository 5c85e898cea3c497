// A small MessagePack decoder, enough for what a Datadog agent receives (`/v0.4/traces`).
// 64-bit integers decode to bigint so trace ids stay exact.

/** Decodes one MessagePack value from `buffer`. */
export function decodeMsgpack(buffer: Buffer): unknown {
  const reader = new Reader(buffer)
  return reader.value()
}

class Reader {
  private at = 0
  constructor(private readonly buffer: Buffer) {}

  value(): unknown {
    const type = this.byte()
    if (type <= 0x7f) return type
    if (type >= 0xe0) return type - 0x100
    if (type >= 0x80 && type <= 0x8f) return this.map(type & 0x0f)
    if (type >= 0x90 && type <= 0x9f) return this.array(type & 0x0f)
    if (type >= 0xa0 && type <= 0xbf) return this.string(type & 0x1f)
    switch (type) {
      case 0xc0:
        return null
      case 0xc2:
        return false
      case 0xc3:
        return true
      case 0xc4:
        return this.bytes(this.uint(1))
      case 0xc5:
        return this.bytes(this.uint(2))
      case 0xc6:
        return this.bytes(this.uint(4))
      case 0xca:
        return this.read(4, (at) => this.buffer.readFloatBE(at))
      case 0xcb:
        return this.read(8, (at) => this.buffer.readDoubleBE(at))
      case 0xcc:
        return this.uint(1)
      case 0xcd:
        return this.uint(2)
      case 0xce:
        return this.uint(4)
      case 0xcf:
        return this.read(8, (at) => this.buffer.readBigUInt64BE(at))
      case 0xd0:
        return this.read(1, (at) => this.buffer.readInt8(at))
      case 0xd1:
        return this.read(2, (at) => this.buffer.readInt16BE(at))
      case 0xd2:
        return this.read(4, (at) => this.buffer.readInt32BE(at))
      case 0xd3:
        return this.read(8, (at) => this.buffer.readBigInt64BE(at))
      case 0xd9:
        return this.string(this.uint(1))
      case 0xda:
        return this.string(this.uint(2))
      case 0xdb:
        return this.string(this.uint(4))
      case 0xdc:
        return this.array(this.uint(2))
      case 0xdd:
        return this.array(this.uint(4))
      case 0xde:
        return this.map(this.uint(2))
      case 0xdf:
        return this.map(this.uint(4))
      default:
        throw new Error(`unsupported MessagePack type 0x${type.toString(16)}`)
    }
  }

  private byte(): number {
    return this.read(1, (at) => this.buffer.readUInt8(at))
  }

  private uint(size: 1 | 2 | 4): number {
    return this.read(size, (at) => this.buffer.readUIntBE(at, size))
  }

  private read<T>(size: number, read: (at: number) => T): T {
    const value = read(this.at)
    this.at += size
    return value
  }

  private bytes(length: number): Buffer {
    return this.read(length, (at) => this.buffer.subarray(at, at + length))
  }

  private string(length: number): string {
    return this.bytes(length).toString('utf8')
  }

  private array(length: number): unknown[] {
    return Array.from({ length }, () => this.value())
  }

  private map(length: number): Record<string, unknown> {
    const map: Record<string, unknown> = {}
    for (let i = 0; i < length; i++) map[String(this.value())] = this.value()
    return map
  }
}
