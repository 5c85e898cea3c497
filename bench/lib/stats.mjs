// Medians, spreads and the ratios of each variant to its baseline measured in the same rounds.

export function median(values) {
  const sorted = values.filter((value) => Number.isFinite(value)).sort((a, b) => a - b)
  if (sorted.length === 0) return NaN
  const middle = Math.floor(sorted.length / 2)
  return sorted.length % 2 === 1 ? sorted[middle] : (sorted[middle - 1] + sorted[middle]) / 2
}

const min = (values) => Math.min(...values)
const max = (values) => Math.max(...values)

/** Per round where both were measured: `combine(round, baseRound)`. */
export function paired(rounds, baseRounds, combine) {
  const values = []
  for (let i = 0; i < rounds.length; i++) {
    if (rounds[i] !== undefined && baseRounds[i] !== undefined) {
      values.push(combine(rounds[i], baseRounds[i]))
    }
  }
  return values
}

/** The summary row of one variant: `rounds` are its records, `baseRounds` its baseline's. */
export function summarize(variant, rounds, baseRounds) {
  const pick = (key) => rounds.map((round) => round[key])
  const rps = pick('rps')
  const cpu = pick('cpuUsPerReq')
  const baseRps = median(baseRounds.map((round) => round.rps))
  const baseCpu = median(baseRounds.map((round) => round.cpuUsPerReq))
  const pairedRatios = paired(rounds, baseRounds, (a, b) => a.rps / b.rps)
  const spans = pick('spansPerReq')
  return {
    name: variant.name,
    baseline: variant.baseline,
    n: rounds.length,
    rps: median(rps),
    rpsMin: min(rps),
    rpsMax: max(rps),
    spread: (max(rps) - min(rps)) / median(rps),
    ratio: median(rps) / baseRps,
    pairedRatio: median(pairedRatios),
    pairedRatioMin: min(pairedRatios),
    pairedRatioMax: max(pairedRatios),
    cpuImpliedRatio: baseCpu / median(cpu),
    cpuUs: median(cpu),
    cpuUsMin: min(cpu),
    cpuUsMax: max(cpu),
    cpuDelta: median(cpu) - baseCpu,
    pairedCpuDelta: median(paired(rounds, baseRounds, (a, b) => a.cpuUsPerReq - b.cpuUsPerReq)),
    p50: median(pick('p50')),
    p99: median(pick('p99')),
    rssMb: median(pick('rssMb')),
    spansPerReq: spans.some((value) => value === null) ? null : median(spans),
    serverCpuPercent: median(pick('serverCpuPercent')),
    loadCpuPercent: median(pick('loadCpuPercent')),
    failed: rounds.reduce((sum, round) => sum + round.failed, 0),
  }
}

/** Per round, `a`'s throughput over `b`'s; the median of those ratios. */
export function pairedThroughputRatio(roundsA, roundsB) {
  return median(paired(roundsA, roundsB, (a, b) => a.rps / b.rps))
}
