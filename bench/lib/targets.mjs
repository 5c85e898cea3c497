// tracehop's performance targets, numbered as in bench/RESULTS.md, each checked against this
// run's figures: PASS, FAIL, or SKIP when a variant it needs was not measured (--only). Decided
// before any run: CPU µs/request deltas are paired per round (variant minus its baseline in the
// same round), throughput ratios are the median of per-round ratios, so machine drift between
// rounds cancels out.
import { paired, pairedThroughputRatio } from './stats.mjs'

const MEMORY_LIMIT_MB = 5
const fmt = (value, digits = 1) => (Number.isFinite(value) ? value.toFixed(digits) : 'n/a')
const signed = (value) => `${value >= 0 ? '+' : ''}${fmt(value)}`

function check(label, needed, rows, decide) {
  if (needed.some((name) => rows.get(name) === undefined)) {
    return { label, verdict: 'SKIP', detail: `needs ${needed.join(', ')}` }
  }
  const { pass, detail } = decide(...needed.map((name) => rows.get(name)))
  return { label, verdict: pass ? 'PASS' : 'FAIL', detail }
}

// How many rounds, each taken alone, meet a target: when they split, the run's noise is larger
// than the margin, and the verdict rests on the median alone.
function roundsMeeting(rounds, [a, b], meets) {
  const verdicts = paired(rounds.get(a), rounds.get(b), meets)
  return `${verdicts.filter(Boolean).length} of ${verdicts.length} rounds meet it`
}

// @tracehop/otel on the OTel SDK: at most the hand-written floor + 5 µs, no dearer than the shim
// it replaces, and an unsampled request at most the no-op tracer's cost + 5 µs.
function bridgeTargets(framework, rows, rounds) {
  const [bridge, floor, shim, unsampled, noop] = [
    'tracehop-otel',
    'otel-floor',
    'tracehop-otelshim',
    'tracehop-otel-unsampled',
    'tracehop-noop',
  ].map((suffix) => `${framework}-${suffix}`)
  const withinFiveOf = (label, [a, b]) =>
    check(label, [a, b], rows, (x, y) => ({
      pass: x.pairedCpuDelta <= y.pairedCpuDelta + 5,
      detail:
        `${signed(x.pairedCpuDelta)} vs ${signed(y.pairedCpuDelta)} µs/req over bare (limit ` +
        `${signed(y.pairedCpuDelta + 5)}); ` +
        roundsMeeting(rounds, [a, b], (r, s) => r.cpuUsPerReq <= s.cpuUsPerReq + 5),
    }))
  return [
    withinFiveOf(`6. OTel bridge, ${framework}: CPU <= hand-written OTel floor + 5 µs`, [
      bridge,
      floor,
    ]),
    check(`6. OTel bridge, ${framework}: CPU <= tracehop + shim`, [bridge, shim], rows, (x, y) => ({
      pass: x.pairedCpuDelta <= y.pairedCpuDelta,
      detail:
        `${signed(x.pairedCpuDelta)} vs ${signed(y.pairedCpuDelta)} µs/req over bare; ` +
        roundsMeeting(rounds, [bridge, shim], (r, s) => r.cpuUsPerReq <= s.cpuUsPerReq),
    })),
    withinFiveOf(`6. OTel bridge, ${framework}: unsampled CPU <= no-op tracer + 5 µs`, [
      unsampled,
      noop,
    ]),
    // Not a target: the same, over the no-op tracer in a process where the SDK is registered too,
    // which tells what of the gap is the SDK's presence (its heap, its context manager).
    withinFiveOf(
      `6. for comparison, not a target: ${framework} unsampled CPU <= no-op tracer beside the SDK + 5 µs`,
      [unsampled, `${framework}-tracehop-noop-otel-sdk`],
    ),
  ]
}

function noopTargets(framework, minRatio, rows, rounds) {
  const label = `1. no-op tracer, ${framework}`
  const [noop, als, bare] = ['tracehop-noop', 'als', 'bare'].map(
    (suffix) => `${framework}-${suffix}`,
  )
  return [
    check(`${label}: CPU <= ALS floor + 5 µs`, [noop, als], rows, (th, floor) => ({
      pass: th.pairedCpuDelta <= floor.pairedCpuDelta + 5,
      detail:
        `tracehop ${signed(th.pairedCpuDelta)} µs/req, ALS floor ${signed(floor.pairedCpuDelta)} µs/req ` +
        `(limit ${signed(floor.pairedCpuDelta + 5)}); ` +
        roundsMeeting(rounds, [noop, als], (a, b) => a.cpuUsPerReq <= b.cpuUsPerReq + 5),
    })),
    check(`${label}: throughput ratio >= ${minRatio}`, [noop, bare], rows, (th) => ({
      pass: th.pairedRatio >= minRatio,
      detail:
        `paired ratio ${fmt(th.pairedRatio, 3)} (ratio of medians ${fmt(th.ratio, 3)}, ` +
        `CPU-implied ${fmt(th.cpuImpliedRatio, 3)}); ` +
        roundsMeeting(rounds, [noop, bare], (a, b) => a.rps / b.rps >= minRatio),
    })),
  ]
}

function fasterThan(label, a, b, minRatio, rows, rounds) {
  return check(label, [a, b], rows, (ra, rb) => {
    const ratio = pairedThroughputRatio(rounds.get(a), rounds.get(b))
    const limit =
      minRatio === undefined
        ? ''
        : ` (limit ${minRatio}x; ${roundsMeeting(rounds, [a, b], (x, y) => x.rps / y.rps >= minRatio)})`
    return {
      pass: minRatio === undefined || ratio >= minRatio,
      detail: `${a} / ${b} throughput, paired: ${fmt(ratio, 2)}x${limit}; CPU ${fmt(ra.cpuUs)} vs ${fmt(rb.cpuUs)} µs/req (CPU-implied ${fmt(rb.cpuUs / ra.cpuUs, 2)}x)`,
    }
  })
}

function informational(result) {
  return result.verdict === 'SKIP' ? result : { ...result, verdict: 'INFO' }
}

function clientTarget(client, rows, rounds) {
  const [th, otel] = [`express-${client}-tracehop`, `express-${client}-otel`]
  return check(
    `4. client, ${client}: tracehop costs less CPU than OTel`,
    [th, otel],
    rows,
    (a, b) => ({
      pass: a.pairedCpuDelta < b.pairedCpuDelta,
      detail:
        `per call over bare: tracehop ${signed(a.pairedCpuDelta)} µs, OTel ${signed(b.pairedCpuDelta)} µs; ` +
        roundsMeeting(rounds, [th, otel], (x, y) => x.cpuUsPerReq < y.cpuUsPerReq),
    }),
  )
}

/** Every target, by number. `rows`: summaries by name; `rounds`: raw records by name. */
export function evaluateTargets(rows, rounds, memory) {
  const results = [
    ...noopTargets('express', 0.93, rows, rounds),
    ...noopTargets('fastify', 0.85, rows, rounds),
    ...noopTargets('express4', 0.93, rows, rounds),
    ...noopTargets('fastify4', 0.85, rows, rounds),
    check(
      '2. jaeger-client: tracehop at least as fast as express-opentracing',
      ['express-tracehop-jaeger', 'express-eot-jaeger'],
      rows,
      (th, eot) => ({
        pass: th.cpuUs <= eot.cpuUs,
        detail:
          `CPU ${fmt(th.cpuUs)} vs ${fmt(eot.cpuUs)} µs/req; throughput, paired: ` +
          `${fmt(pairedThroughputRatio(rounds.get('express-tracehop-jaeger'), rounds.get('express-eot-jaeger')), 3)}x; ` +
          roundsMeeting(
            rounds,
            ['express-tracehop-jaeger', 'express-eot-jaeger'],
            (a, b) => a.cpuUsPerReq <= b.cpuUsPerReq,
          ),
      }),
    ),
    fasterThan(
      '3. OTel SDK, Express: tracehop+shim >= 1.3x OTel auto-instrumentation',
      'express-tracehop-otelshim',
      'express-otel-auto',
      1.3,
      rows,
      rounds,
    ),
    // @fastify/otel as its README sets it up, beside the HTTP instrumentation (3 spans per request):
    // the setup the 2x target is set against. Alone, for comparison only.
    fasterThan(
      '3. OTel SDK, Fastify: tracehop+shim >= 2x @fastify/otel (with the HTTP instrumentation)',
      'fastify-tracehop-otelshim',
      'fastify-otel-http',
      2,
      rows,
      rounds,
    ),
    informational(
      fasterThan(
        '3. for comparison, not a target: tracehop+shim vs @fastify/otel alone',
        'fastify-tracehop-otelshim',
        'fastify-otel',
        undefined,
        rows,
        rounds,
      ),
    ),
    clientTarget('axios', rows, rounds),
    clientTarget('fetch', rows, rounds),
    ...['express', 'fastify'].flatMap((framework) => bridgeTargets(framework, rows, rounds)),
  ]
  for (const run of memory) {
    const growth = run.heapLateMb - run.heapEarlyMb
    results.push({
      label: `5. memory, ${run.name}: heap growth < ${MEMORY_LIMIT_MB} MB from ${run.first / 1000}k to ${run.total / 1000}k requests`,
      verdict: growth < MEMORY_LIMIT_MB && run.failed === 0 ? 'PASS' : 'FAIL',
      detail: `${fmt(run.heapEarlyMb)} MB -> ${fmt(run.heapLateMb)} MB (${signed(growth)} MB), ${run.failed} failed requests`,
    })
  }
  return results
}
