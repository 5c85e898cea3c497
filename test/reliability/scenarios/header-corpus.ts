// The fixed corpus of malformed and hostile propagation headers: W3C traceparent, tracestate and
// baggage edge cases, B3, uber-trace-id with bad percent-escapes, vendor headers, oversized and
// repeated headers, prototype names, control characters and UTF-8. Each case is a list of header
// lines, sent as they are over a raw socket by headers.test.ts.

/** One corpus case: a label and the header lines to send. */
export interface HeaderCase {
  label: string
  lines: Array<[string, string]>
}

const TRACE = '4bf92f3577b34da6a3ce929d0e0e4736'
const SPAN = '00f067aa0ba902b7'
const VALID = `00-${TRACE}-${SPAN}-01`

function traceparents(): string[] {
  const values = [
    VALID,
    VALID.toUpperCase(),
    `00-${'0'.repeat(32)}-${SPAN}-01`,
    `00-${TRACE}-${'0'.repeat(16)}-01`,
    `ff-${TRACE}-${SPAN}-01`,
    `01-${TRACE}-${SPAN}-01-extra`,
    `00-${TRACE}-${SPAN}-01-extra`,
    `0-${TRACE}-${SPAN}-01`,
    `000-${TRACE}-${SPAN}-01`,
    `00-${TRACE.slice(1)}-${SPAN}-01`,
    `00-${TRACE}0-${SPAN}-01`,
    `00-${TRACE}-${SPAN.slice(1)}-01`,
    `00-${TRACE}-${SPAN}0-01`,
    `00-${TRACE}-${SPAN}-1`,
    `00-${TRACE}-${SPAN}-001`,
    `00-${TRACE}-${SPAN}-zz`,
    `00_${TRACE}_${SPAN}_01`,
    `00-${TRACE}-${SPAN}`,
    `${TRACE}-${SPAN}-01`,
    `00--${SPAN}-01`,
    `00-${TRACE}--01`,
    '',
    ' ',
    '-',
    '---',
    '00',
    `00-${TRACE.replace('4', 'g')}-${SPAN}-01`,
    `00-${TRACE}-${SPAN.replace('0', 'x')}-01`,
    ` ${VALID} `,
    `\t${VALID}`,
    `${VALID},${VALID}`,
    `${VALID}, 00-${'1'.repeat(32)}-${'2'.repeat(16)}-01`,
    `cc-${TRACE}-${SPAN}-09-what-the-future-will-be-like`,
    `00-${TRACE}-${SPAN}-02`,
    `00-${TRACE}-${SPAN}-ff`,
    'x'.repeat(512),
    'x'.repeat(8192),
    `00-${TRACE}-${SPAN}-01${'-'.repeat(200)}`,
    '%',
    '%00',
    '00-%-%-01',
    `00-${TRACE}-${SPAN}-01\u00e9`,
  ]
  for (let version = 1; version < 16; version++) {
    values.push(`${version.toString(16).padStart(2, '0')}-${TRACE}-${SPAN}-01`)
  }
  for (let flags = 0; flags < 16; flags++) {
    values.push(`00-${TRACE}-${SPAN}-${flags.toString(16).padStart(2, '0')}`)
  }
  for (let cut = 1; cut < VALID.length; cut += 4) values.push(VALID.slice(0, cut))
  return values
}

function tracestates(): string[] {
  const members = (count: number) =>
    Array.from({ length: count }, (_, i) => `k${i}=v${i}`).join(',')
  return [
    'congo=t61rcWkgMzE',
    'rojo=00f067aa0ba902b7,congo=t61rcWkgMzE',
    members(32),
    members(33),
    members(100),
    `a=${'x'.repeat(256)}`,
    `a=${'x'.repeat(257)}`,
    '=v',
    'k=',
    'k',
    ',,,',
    'a=1,a=2',
    'UPPER=1',
    'a@b=1',
    `${' '.repeat(4000)}a=1`,
    `a=1${'\t'.repeat(4000)}`,
    '1a=b',
    'a/b=c',
    'a=b=c',
    'a=\u00e9',
  ]
}

function baggages(): string[] {
  const members = (count: number, value = 'v') =>
    Array.from({ length: count }, (_, i) => `k${i}=${value}`).join(',')
  return [
    'user=u-123',
    'user=u%20123,tenant=acme',
    'k=',
    '=v',
    'k=v=w',
    'k=%FF',
    'k=%',
    'k=%E0%A4%A',
    'k=%ZZ',
    'k=v;prop=1;other',
    'k=v;;;',
    ','.repeat(8000),
    ' '.repeat(8000),
    '\t'.repeat(8000),
    members(64),
    members(65),
    members(180),
    members(181),
    members(1000),
    `k=${'v'.repeat(8190)}`,
    `k=${'v'.repeat(8193)}`,
    `${'k'.repeat(300)}=v`,
    'k=v,k=w',
    'bad key=v',
    'k=v w',
    'k="quoted"',
    'k=\u00e9',
    '__proto__=x',
    'constructor=x',
    'toString=x',
  ]
}

function b3(): Array<Array<[string, string]>> {
  const single = [
    `${TRACE}-${SPAN}-1`,
    `${TRACE}-${SPAN}-0`,
    `${TRACE}-${SPAN}-d`,
    `${TRACE}-${SPAN}-1-${SPAN}`,
    '0',
    'd',
    '1',
    `${TRACE.slice(16)}-${SPAN}`,
    `${TRACE}1-${SPAN}-1`,
    `${TRACE}-${SPAN}1-1`,
    `${TRACE}-${SPAN.slice(1)}-1`,
    `${TRACE.toUpperCase()}-${SPAN}-1`,
    `${TRACE}-${SPAN}-x`,
    '-',
    'zzz-zzz-zzz',
  ]
  const multi: Array<Array<[string, string]>> = [
    [
      ['x-b3-traceid', TRACE],
      ['x-b3-spanid', SPAN],
      ['x-b3-sampled', '1'],
    ],
    [
      ['x-b3-traceid', 'zzz'],
      ['x-b3-spanid', SPAN],
    ],
    [
      ['x-b3-traceid', `${TRACE}1`],
      ['x-b3-spanid', SPAN],
    ],
    [
      ['x-b3-traceid', TRACE],
      ['x-b3-spanid', `${SPAN}1`],
    ],
    [['x-b3-traceid', TRACE]],
    [['x-b3-spanid', SPAN]],
    [
      ['x-b3-traceid', TRACE],
      ['x-b3-spanid', SPAN],
      ['x-b3-flags', '1'],
    ],
    [
      ['x-b3-traceid', TRACE],
      ['x-b3-spanid', SPAN],
      ['x-b3-sampled', 'true'],
    ],
    [
      ['x-b3-traceid', TRACE],
      ['x-b3-spanid', SPAN],
      ['b3', '0'],
    ],
    [
      ['x-b3-traceid', '0'.repeat(32)],
      ['x-b3-spanid', SPAN],
    ],
  ]
  return [...single.map((value): Array<[string, string]> => [['b3', value]]), ...multi]
}

function uberTraceIds(): string[] {
  return [
    `${TRACE}:${SPAN}:0:1`,
    '%',
    '%ZZ',
    'abc%G:123:0:01',
    `${TRACE}%3A${SPAN}%3A0%3A1`,
    `${TRACE}:${SPAN}:0:99`,
    `${TRACE}:${SPAN}:0`,
    `${TRACE}:${SPAN}:0:1:5`,
    `${TRACE}1:${SPAN}:0:1`,
    `0:0:0:1`,
    '1zzz:2:0:1',
    ':::',
    'x'.repeat(10_000),
    `${TRACE}:${SPAN}:0:1, ${TRACE}:${SPAN}:0:1`,
    '\u00e9:1:0:1',
  ]
}

const DANGEROUS_NAMES = [
  '__proto__',
  'constructor',
  'prototype',
  'hasOwnProperty',
  'toString',
  'valueOf',
  '__defineGetter__',
  'isPrototypeOf',
]

/** The whole fixed corpus (more than 600 cases). */
export function buildCorpus(): HeaderCase[] {
  const cases: HeaderCase[] = []
  const add = (label: string, lines: Array<[string, string]>) => cases.push({ label, lines })
  for (const value of traceparents())
    add(`traceparent ${JSON.stringify(value.slice(0, 40))}`, [['traceparent', value]])
  for (const value of traceparents()) {
    add('TraceParent (mixed case name)', [['TraceParent', value]])
    add('traceparent + baggage', [
      ['traceparent', value],
      ['baggage', 'user=u-1'],
    ])
  }
  for (const value of traceparents().slice(0, 40)) {
    add(`traceparent + tracestate`, [
      ['traceparent', value],
      ['tracestate', 'rojo=1'],
    ])
    add(`traceparent twice`, [
      ['traceparent', value],
      ['traceparent', VALID],
    ])
  }
  for (const value of tracestates())
    add(`tracestate`, [
      ['traceparent', VALID],
      ['tracestate', value],
    ])
  for (const value of baggages()) {
    add('baggage', [
      ['traceparent', VALID],
      ['baggage', value],
    ])
    add('baggage twice', [
      ['traceparent', VALID],
      ['baggage', value],
      ['baggage', 'k2=v2'],
    ])
  }
  add('baggage in 200 lines', [
    ['traceparent', VALID],
    ...Array.from({ length: 200 }, (_, i): [string, string] => [
      'baggage',
      `k${i}=${'v'.repeat(60)}`,
    ]),
  ])
  for (const lines of b3()) add('b3', lines)
  for (const value of uberTraceIds()) add('uber-trace-id', [['uber-trace-id', value]])
  for (let i = 0; i < 20; i++)
    add('uberctx-* many', [
      ['uber-trace-id', `${TRACE}:${SPAN}:0:1`],
      ...Array.from({ length: 25 * (i + 1) }, (_, j): [string, string] => [`uberctx-k${j}`, 'v']),
    ])
  for (const name of DANGEROUS_NAMES) {
    add(`name ${name}`, [[name, 'x']])
    add(`name ${name} with traceparent`, [
      [name, 'polluted'],
      ['traceparent', VALID],
    ])
    add(`name ${name.toUpperCase()}`, [[name.toUpperCase(), '{}']])
  }
  for (const vendor of [
    'ot-tracer-traceid',
    'ot-tracer-spanid',
    'x-datadog-trace-id',
    'x-datadog-parent-id',
    'elastic-apm-traceparent',
    'x-instana-t',
    'sw8',
    'jaeger-debug-id',
    'x-cloud-trace-context',
    'grpc-trace-bin',
  ]) {
    for (const value of ['abc', '0', '-1', '18446744073709551616', 'x'.repeat(4000), '%', VALID]) {
      add(vendor, [[vendor, value]])
    }
  }
  for (let i = 0; i < 30; i++) {
    const char = String.fromCharCode(0x80 + i * 4)
    add('high byte in traceparent', [
      ['traceparent', `${VALID.slice(0, 10)}${char}${VALID.slice(11)}`],
    ])
  }
  for (const char of ['\t', '\u007f', '\u00ff'])
    add('control or high char', [
      ['traceparent', `${VALID}${char}`],
      ['baggage', `k=${char}`],
    ])
  for (let size = 1024; size <= 12_288; size += 1024)
    add(`oversized ${size}`, [
      ['x-custom', 'x'.repeat(size)],
      ['traceparent', VALID],
    ])
  for (let count = 10; count <= 100; count += 10)
    add(
      `${count} repeated traceparents`,
      Array.from({ length: count }, (): [string, string] => ['traceparent', VALID]),
    )
  return cases
}

/** The span id a tracer reading only W3C `traceparent` must continue from, or undefined. */
export function expectedParent(lines: Array<[string, string]>): string | undefined {
  const values = lines
    .filter(([name]) => name.toLowerCase() === 'traceparent')
    .map(([, value]) => value)
  if (values.length !== 1) return undefined
  const value = (values[0] as string).trim()
  const match = /^([0-9a-f]{2})-([0-9a-f]{32})-([0-9a-f]{16})-[0-9a-f]{2}(-.*)?$/.exec(value)
  if (match === null || match[1] === 'ff' || (match[1] === '00' && match[4] !== undefined))
    return undefined
  if (/^0+$/.test(match[2] as string) || /^0+$/.test(match[3] as string)) return undefined
  return match[3]
}
