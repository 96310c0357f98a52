// Generated traffic shared by the routing tests: the same requests for every policy, and the
// goodness-of-fit check that shares match weights.
import assert from 'node:assert/strict';
import { chiSquareSurvival } from '../../src/monitoring/drift/index.ts';
import { seededRng } from '../../src/routing/index.ts';

export interface Request {
  requestId: string;
  stickyKey?: string;
}

/** n requests; two in three carry a sticky key of their own (distinct, so counts stay independent). */
export function traffic(n: number, seed = 7): Request[] {
  const rng = seededRng(seed);
  return Array.from({ length: n }, (_, i) => (rng() < 2 / 3 ? { requestId: `r${i}`, stickyKey: `user-${i}-${Math.floor(rng() * 1e9)}` } : { requestId: `r${i}` }));
}

/** Pearson's chi-square goodness of fit of observed arm counts against expected shares. Arms expected
 * to get nothing must get nothing; the others must not be rejected at alpha. */
export function assertShares(counts: ReadonlyMap<string, number>, expected: Readonly<Record<string, number>>, alpha = 0.001): { statistic: number; pValue: number } {
  const n = [...counts.values()].reduce((a, b) => a + b, 0);
  for (const arm of counts.keys()) assert.ok((expected[arm] ?? 0) > 0, `arm ${arm} got ${counts.get(arm)} requests but expects none`);
  const live = Object.entries(expected).filter(([, share]) => share > 0);
  if (live.length < 2) return { statistic: 0, pValue: 1 };
  let statistic = 0;
  for (const [arm, share] of live) statistic += ((counts.get(arm) ?? 0) - n * share) ** 2 / (n * share);
  const pValue = chiSquareSurvival(statistic, live.length - 1);
  assert.ok(pValue >= alpha, `shares ${JSON.stringify(Object.fromEntries(counts))} of ${n} reject ${JSON.stringify(expected)}: chi2=${statistic.toFixed(2)}, p=${pValue.toExponential(2)}`);
  return { statistic, pValue };
}
