// The targets that instruction counts can settle, checked against a bench:instructions run.
// Counts leave out the kernel's work, which is the same for every variant of a framework (the
// same requests and responses), so:
// - a difference in instructions is a difference in user CPU time, turned into µs at the bare
//   server's own rate (its instructions per µs of user time, timed natively in the same run);
// - "at least as fast as" compares counts directly;
// - a throughput ratio from counts is an upper bound (kernel time added to both sides brings it
//   toward 1): below its limit it fails for certain, above it it is only "not ruled out".

/** `598.5k`: an instruction count in thousands. */
export const thousands = (value) => `${(value / 1000).toFixed(1)}k`
/** `+2.9k`: a difference of instruction counts, signed. */
export const signed = (value) => `${value >= 0 ? '+' : ''}${thousands(value)}`

/** PASS/FAIL/SKIP lines. `counts`: median instructions/request by variant; `rates`: by framework. */
export function instructionTargets(counts, rates) {
  const lines = []
  for (const framework of ['express', 'fastify', 'express4', 'fastify4']) {
    const [noop, als] = [counts.get(`${framework}-tracehop-noop`), counts.get(`${framework}-als`)]
    const rate = rates.get(framework)
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
    ['fastify', 'fastify-otel', 2],
  ]) {
    const [shim, alternative] = [counts.get(`${framework}-tracehop-otelshim`), counts.get(other)]
    if (shim === undefined || alternative === undefined) continue
    const ratio = alternative / shim
    lines.push({
      verdict: ratio >= limit ? 'NOT RULED OUT' : 'FAIL',
      label: `3. OTel SDK, ${framework}: tracehop+shim >= ${limit}x ${other}, by count (an upper bound)`,
      detail: `${thousands(alternative)} / ${thousands(shim)} instructions = ${ratio.toFixed(2)}x at most`,
    })
  }
  return lines
}
