// Multiple-testing corrections across the features of one window: with a dozen features tested at 5%
// each, about one window in two would raise a false alarm somewhere without them.

export type Correction = 'bonferroni' | 'holm' | 'none';

/**
 * Adjusted p-values: compare each with alpha. Bonferroni multiplies by the number of tests; Holm's
 * step-down is uniformly more powerful with the same family-wise error guarantee (Holm 1979).
 */
export function adjustPValues(pValues: readonly number[], method: Correction): number[] {
  const m = pValues.length;
  if (method === 'none' || m === 0) return [...pValues];
  if (method === 'bonferroni') return pValues.map((p) => Math.min(1, p * m));
  const order = pValues.map((p, i) => [p, i] as const).sort((a, b) => a[0] - b[0]);
  const adjusted = new Array<number>(m);
  let running = 0;
  order.forEach(([p, i], rank) => {
    running = Math.max(running, Math.min(1, (m - rank) * p));
    adjusted[i] = running;
  });
  return adjusted;
}
