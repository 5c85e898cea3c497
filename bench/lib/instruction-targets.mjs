// The targets that instruction counts can settle, checked against a bench:instructions run.
// Counts leave out the kernel's work, which is the same for every variant of a framework (the
// same requests and responses), so:
// - a difference in instructions is a difference in user CPU time, turned into µs at the bare
//   server's own rate (its instructions per µs of user time, timed natively in the same run);
// - "at least as fast as" compares counts directly;
// - a throughput ratio from counts is a bound if both sides run as many instructions per µs,
//   as kernel time added to both sides brings it toward 1: bare / traced is then a lower bound,
//   and at or above its limit it passes. Otherwise an estimate decides: the bare server's
//   natively timed kernel time added to both sides. Both are models: the OTel instrumentations
//   run fewer instructions per µs than bare Fastify (the CPU run's ratio for that pair is higher
//   than the count's), so for target 3 the CPU run is the direct measurement.

/** `598.5k`: an instruction count in thousands. */
export const thousands = (value) => `${(value / 1000).toFixed(1)}k`
/** `+2.9k`: a difference of instruction counts, signed. */
export const signed = (value) => `${value >= 0 ? '+' : ''}${thousands(value)}`

/** Target 1's throughput ratio of the no-op tracer to bare, at least, by framework (targets.mjs). */
const NOOP_RATIO = { express: 0.93, express4: 0.93, fastify: 0.85, fastify4: 0.85 }

/** PASS/FAIL lines. `counts`: median instructions/request by variant; `rates`: by framework. */
export function instructionTargets(counts, rates) {
  const lines = []
  for (const [framework, minimumRatio] of Object.entries(NOOP_RATIO)) {
    const [bare, noop] = [counts.get(`${framework}-bare`), counts.get(`${framework}-tracehop-noop`)]
    const rate = rates.get(framework)
    if (bare !== undefined && noop !== undefined) {
      lines.push(noopThroughput(framework, minimumRatio, bare, noop, rate))
    }
    const als = counts.get(`${framework}-als`)
    if (noop === undefined || als === undefined || rate === undefined) continue
    const limit = 5 * rate.perUs
    const extra = noop - als
    lines.push({
      verdict: extra <= limit ? 'PASS' : 'FAIL',
      label: `1. no-op tracer, ${framework}: <= ALS floor + 5 µs, by count`,
      detail:
        `tracehop ${signed(extra)} instructions over the ALS floor = ${(extra / rate.perUs).toFixed(1)} µs ` +
        `at ${thousands(rate.perUs)} instructions per µs of user time (bare: ${thousands(rate.instructions)} ` +
        `in ${rate.userUs.toFixed(1)} µs); limit ${signed(limit)}`,
    })
  }
  const [jaeger, eot] = [counts.get('express-tracehop-jaeger'), counts.get('express-eot-jaeger')]
  if (jaeger !== undefined && eot !== undefined) {
    lines.push({
      verdict: jaeger <= eot ? 'PASS' : 'FAIL',
      label: '2. jaeger-client: tracehop at least as fast as express-opentracing, by count',
      detail: `${thousands(jaeger)} vs ${thousands(eot)} instructions/request (${(((jaeger - eot) / eot) * 100).toFixed(1)} %)`,
    })
  }
  for (const [framework, other, limit] of [
    ['express', 'express-otel-auto', 1.3],
    ['fastify', 'fastify-otel-http', 2],
  ]) {
    const [shim, alternative] = [counts.get(`${framework}-tracehop-otelshim`), counts.get(other)]
    if (shim === undefined || alternative === undefined) continue
    lines.push(otelThroughput(framework, other, limit, alternative, shim, rates.get(framework)))
  }
  return lines
}

// CPU µs per request estimated from a count: its user instructions at the bare server's rate,
// plus the bare server's kernel time, the same for every variant of a framework.
const estimatedUs = (rate, instructions) => instructions / rate.perUs + (rate.cpuUs - rate.userUs)
const kernelNote = (rate) =>
  `bare ${rate.cpuUs.toFixed(1)} µs CPU/request natively, ${rate.userUs.toFixed(1)} of it user`

// bare / no-op in user instructions is a lower bound on the throughput ratio. When it falls below
// the limit, the verdict rests on the estimate with the kernel's share (estimatedUs).
function noopThroughput(framework, minimumRatio, bare, noop, rate) {
  const label = `1. no-op tracer, ${framework}: throughput ratio >= ${minimumRatio}, by count`
  const lowerBound = bare / noop
  const counted = `${thousands(bare)} / ${thousands(noop)} user instructions = ${lowerBound.toFixed(3)}`
  if (lowerBound >= minimumRatio) {
    return { verdict: 'PASS', label, detail: `${counted}, a lower bound` }
  }
  if (rate === undefined) return { verdict: 'FAIL', label, detail: `${counted}, a lower bound` }
  const ratio = estimatedUs(rate, bare) / estimatedUs(rate, noop)
  return {
    verdict: ratio >= minimumRatio ? 'PASS' : 'FAIL',
    label,
    detail: `${counted} without the kernel; with it (${kernelNote(rate)}): ${ratio.toFixed(3)}`,
  }
}

// The alternative / tracehop, estimated with the kernel's share (see the top of this file).
function otelThroughput(framework, other, limit, alternative, shim, rate) {
  const label = `3. OTel SDK, ${framework}: tracehop+shim >= ${limit}x ${other}, by count (a model)`
  const counted = `${thousands(alternative)} / ${thousands(shim)} user instructions = ${(alternative / shim).toFixed(2)}x`
  if (rate === undefined) return { verdict: 'NOT SETTLED', label, detail: counted }
  const ratio = estimatedUs(rate, alternative) / estimatedUs(rate, shim)
  return {
    verdict: ratio >= limit ? 'PASS' : 'FAIL',
    label,
    detail: `${counted} without the kernel; with it (${kernelNote(rate)}): ${ratio.toFixed(2)}x`,
  }
}
