// The statistics behind the analysis and the A/B report: the normal CDF, the pooled two-proportion
// z-test, and the distance between two label distributions. Written here (a dozen lines each) and
// checked against published values in test/routing/statistics.test.ts.
import { chiSquareSurvival } from '../monitoring/drift/index.ts';

/** erfc by the Chebyshev fit of Numerical Recipes (erfcc): relative error below 1.2e-7 everywhere,
 * including the far tail, so small p-values keep their digits (1 - erf(x) would lose them). */
function erfc(x: number): number {
  const z = Math.abs(x);
  const t = 1 / (1 + 0.5 * z);
  const r =
    t *
    Math.exp(
      -z * z - 1.26551223 +
        t * (1.00002368 + t * (0.37409196 + t * (0.09678418 + t * (-0.18628806 + t * (0.27886807 +
        t * (-1.13520398 + t * (1.48851587 + t * (-0.82215223 + t * 0.17087277)))))))),
    );
  return x >= 0 ? r : 2 - r;
}

/** Φ(x), the standard normal CDF. */
export function normalCdf(x: number): number {
  if (Number.isNaN(x)) return Number.NaN;
  return 0.5 * erfc(-x / Math.SQRT2);
}

export interface ZTestResult {
  /** Successes / trials of each side. */
  rateA: number;
  rateB: number;
  /** rateB - rateA. */
  difference: number;
  z: number;
  /** Two-sided p-value of H0: both rates are equal. */
  pValue: number;
}

/** The pooled two-proportion z-test (as statsmodels' proportions_ztest with the pooled variance).
 * With no trials on a side, or no variance at all (both 0 % or both 100 %), z = 0 and p = 1. */
export function twoProportionZTest(successesA: number, trialsA: number, successesB: number, trialsB: number): ZTestResult {
  const rateA = trialsA > 0 ? successesA / trialsA : 0;
  const rateB = trialsB > 0 ? successesB / trialsB : 0;
  const difference = rateB - rateA;
  if (trialsA === 0 || trialsB === 0) return { rateA, rateB, difference, z: 0, pValue: 1 };
  const pooled = (successesA + successesB) / (trialsA + trialsB);
  const se = Math.sqrt(pooled * (1 - pooled) * (1 / trialsA + 1 / trialsB));
  if (se === 0) return { rateA, rateB, difference, z: 0, pValue: 1 };
  const z = difference / se;
  return { rateA, rateB, difference, z, pValue: Math.min(1, 2 * (1 - normalCdf(Math.abs(z)))) };
}

/** One-sided p-value of "B's rate is higher than A's" (for error rates: only worse matters). */
export function oneSidedGreater(result: ZTestResult): number {
  return result.z === 0 && result.pValue === 1 ? 1 : 1 - normalCdf(result.z);
}

/** Total variation distance between two label distributions: half the L1 distance of the shares.
 * It is a lower bound of the disagreement rate: if two models saw the same kind of inputs and
 * answered differently on a share d of them, their label shares differ by at most d. */
export function totalVariation(a: Readonly<Record<string, number>>, b: Readonly<Record<string, number>>): number {
  const na = sum(a);
  const nb = sum(b);
  if (na === 0 || nb === 0) return 0;
  let distance = 0;
  for (const label of new Set([...Object.keys(a), ...Object.keys(b)])) {
    distance += Math.abs((a[label] ?? 0) / na - (b[label] ?? 0) / nb);
  }
  return distance / 2;
}

/** Pearson's chi-square test of homogeneity on a 2 x k table of label counts; p = 1 when either side
 * is empty or only one label occurs. Tells a real difference in label shares from sampling noise. */
export function labelHomogeneity(a: Readonly<Record<string, number>>, b: Readonly<Record<string, number>>): { statistic: number; df: number; pValue: number } {
  const na = sum(a);
  const nb = sum(b);
  const labels = [...new Set([...Object.keys(a), ...Object.keys(b)])].filter((l) => (a[l] ?? 0) + (b[l] ?? 0) > 0);
  if (na === 0 || nb === 0 || labels.length < 2) return { statistic: 0, df: 0, pValue: 1 };
  const n = na + nb;
  let statistic = 0;
  for (const label of labels) {
    const column = (a[label] ?? 0) + (b[label] ?? 0);
    for (const [row, total] of [[a, na], [b, nb]] as const) {
      const expected = (total * column) / n;
      statistic += ((row[label] ?? 0) - expected) ** 2 / expected;
    }
  }
  const df = labels.length - 1;
  return { statistic, df, pValue: chiSquareSurvival(statistic, df) };
}

function sum(counts: Readonly<Record<string, number>>): number {
  let total = 0;
  for (const v of Object.values(counts)) total += v;
  return total;
}
