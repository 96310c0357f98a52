// Pearson's chi-square goodness-of-fit test of a window's category counts against the baseline shares
// (predicted classes), with the p-value from the regularised incomplete gamma function.
import type { TestResult } from './ks.ts';
import { chiSquareSurvival } from './special.ts';

/**
 * A category the baseline never saw gets this share instead of 0, so one unseen label gives a huge but
 * finite statistic (and a p-value of ~0) rather than a division by zero.
 */
export const UNSEEN_SHARE = 1e-6;

export interface ChiSquareResult extends TestResult {
  df: number;
}

/** Σ (o - E)² / E with E = n · share; categories are the union of both sides' keys. */
export function chiSquareTest(observed: Readonly<Record<string, number>>, expectedShares: Readonly<Record<string, number>>): ChiSquareResult {
  const keys = [...new Set([...Object.keys(expectedShares), ...Object.keys(observed)])].sort();
  const n = keys.reduce((s, k) => s + (observed[k] ?? 0), 0);
  if (n === 0 || keys.length < 2) return { statistic: 0, df: Math.max(0, keys.length - 1), pValue: 1 };
  const raw = keys.map((k) => Math.max(expectedShares[k] ?? 0, UNSEEN_SHARE));
  const total = raw.reduce((a, b) => a + b, 0);
  let statistic = 0;
  keys.forEach((k, i) => {
    const expected = (n * raw[i]) / total;
    statistic += ((observed[k] ?? 0) - expected) ** 2 / expected;
  });
  const df = keys.length - 1;
  return { statistic, df, pValue: chiSquareSurvival(statistic, df) };
}

/** The same test on two count vectors over fixed categories (e.g. histogram bins). */
export function chiSquareCounts(observed: ArrayLike<number>, expectedCounts: ArrayLike<number>): ChiSquareResult {
  const o: Record<string, number> = {};
  const e: Record<string, number> = {};
  let total = 0;
  for (let i = 0; i < expectedCounts.length; i++) total += expectedCounts[i];
  for (let i = 0; i < expectedCounts.length; i++) {
    o[String(i)] = observed[i];
    e[String(i)] = total === 0 ? 0 : expectedCounts[i] / total;
  }
  return chiSquareTest(o, e);
}
