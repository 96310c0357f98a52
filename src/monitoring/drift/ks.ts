// Kolmogorov-Smirnov between a window of live values and the baseline CDF. The baseline is a sample too
// (its count), so the p-value uses the two-sample effective size n·m/(n+m), as SciPy's ks_2samp does in
// its asymptotic mode, with Stephens' small-sample correction of λ.
import type { BaselineCdf } from './cdf.ts';
import { kolmogorovSurvival } from './special.ts';

export interface TestResult {
  statistic: number;
  pValue: number;
}

/**
 * D = sup |F_n(x) - F(x)|. `sorted` must be ascending and finite (the monitor sorts once per window, never
 * per request).
 */
export function ksStatistic(sorted: ArrayLike<number>, cdf: BaselineCdf): number {
  const n = sorted.length;
  if (n === 0) return 0;
  let d = 0;
  let i = 0;
  while (i < n) {
    const v = sorted[i];
    let j = i;
    while (j < n && sorted[j] === v) j++;
    // Below v the empirical CDF is i/n, at v it is j/n; the baseline CDF is monotone, so the supremum
    // over each flat stretch sits at its ends.
    d = Math.max(d, Math.abs(i / n - cdf.before(v)), Math.abs(j / n - cdf.at(v)));
    i = j;
  }
  return d;
}

/** With `baselineCount` absent, the one-sample test against a known CDF. */
export function ksTest(sorted: ArrayLike<number>, cdf: BaselineCdf, baselineCount?: number): TestResult {
  const n = sorted.length;
  if (n === 0) return { statistic: 0, pValue: 1 };
  const statistic = ksStatistic(sorted, cdf);
  const ne = baselineCount === undefined || baselineCount <= 0 ? n : (n * baselineCount) / (n + baselineCount);
  const root = Math.sqrt(ne);
  return { statistic, pValue: kolmogorovSurvival((root + 0.12 + 0.11 / root) * statistic) };
}
