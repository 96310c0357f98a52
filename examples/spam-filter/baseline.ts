// Baseline statistics of the training split, stored in the manifest so drift (KS, PSI) can be measured
// later without the raw data. The format is documented in docs/spam-filter.md ("Baseline format"); its
// shapes and binning rule are the server's (src/monitoring/profile), so the two can never drift apart.
import { QUANTILE_KEYS, QUANTILE_LEVELS, binOf, type Summary } from '../../src/monitoring/profile/index.ts';

export { BASELINE_FORMAT, binOf } from '../../src/monitoring/profile/index.ts';

/** Twenty equal bins over [0, 1], for shares and probabilities. */
export const UNIT_EDGES = Array.from({ length: 21 }, (_, i) => i / 20);
/** Roughly logarithmic, up to the input limit of 1 MiB characters. */
export const LENGTH_EDGES = [0, 250, 500, 1000, 1500, 2000, 3000, 4000, 5000, 7500, 10000, 15000, 20000, 50000, 100000, 250000, 1048576];
export const TOKEN_EDGES = [0, 25, 50, 100, 150, 200, 300, 400, 500, 750, 1000, 1500, 2000, 5000, 10000, 50000, 262144];

/** Six significant digits keep the manifest readable; integers (counts, lengths) are kept exact. */
export function round(x: number): number {
  return Number.isInteger(x) ? x : Number(x.toPrecision(6));
}

/**
 * Summarises the finite values; NaN marks "not defined for this row" (e.g. OOV share of no tokens).
 * Quantiles interpolate linearly between order statistics; the 101 percentiles give the CDF to within
 * 1%, so a KS test against the baseline is not blurred by interpolating between the named quantiles.
 */
export function summarize(values: readonly number[], edges: readonly number[]): Summary {
  const xs = values.filter((x) => Number.isFinite(x)).sort((a, b) => a - b);
  const n = xs.length;
  const mean = n === 0 ? 0 : xs.reduce((s, x) => s + x, 0) / n;
  const variance = n === 0 ? 0 : xs.reduce((s, x) => s + (x - mean) ** 2, 0) / n;
  const quantiles = Object.fromEntries(QUANTILE_KEYS.map((k, i) => [k, round(quantile(xs, QUANTILE_LEVELS[i]))])) as Summary['quantiles'];
  const counts = new Array<number>(edges.length - 1).fill(0);
  for (const x of xs) counts[binOf(x, edges)]++;
  return {
    count: n,
    mean: round(mean),
    std: round(Math.sqrt(variance)),
    min: n === 0 ? 0 : round(xs[0]),
    max: n === 0 ? 0 : round(xs[n - 1]),
    quantiles,
    percentiles: Array.from({ length: 101 }, (_, i) => round(quantile(xs, i / 100))),
    histogram: { edges: [...edges], counts },
  };
}

function quantile(sorted: readonly number[], q: number): number {
  if (sorted.length === 0) return 0;
  const pos = (sorted.length - 1) * q;
  const lo = Math.floor(pos);
  const hi = Math.min(lo + 1, sorted.length - 1);
  return sorted[lo] + (sorted[hi] - sorted[lo]) * (pos - lo);
}
