// Distances between the baseline histogram and a window's counts on the same fixed bins: the population
// stability index (PSI) and the Jensen-Shannon distance. Both are scores without a p-value.

/** Share given to an empty bin so ln(a/e) stays finite; Evidently uses the same 1e-4. */
export const PSI_EPSILON = 1e-4;

function shares(counts: ArrayLike<number>): number[] {
  let total = 0;
  for (let i = 0; i < counts.length; i++) total += counts[i];
  return Array.from({ length: counts.length }, (_, i) => (total === 0 ? 0 : counts[i] / total));
}

/**
 * PSI = Σ (a_i - e_i) · ln(a_i / e_i) over the bins, shares floored at epsilon. Rules of thumb: below 0.1
 * no real change, 0.1 to 0.25 a moderate shift, above 0.25 a significant one.
 */
export function psi(expectedCounts: ArrayLike<number>, actualCounts: ArrayLike<number>, epsilon = PSI_EPSILON): number {
  if (expectedCounts.length !== actualCounts.length) throw new RangeError('psi: bin counts differ');
  const e = shares(expectedCounts);
  const a = shares(actualCounts);
  let sum = 0;
  for (let i = 0; i < e.length; i++) {
    const ei = Math.max(e[i], epsilon);
    const ai = Math.max(a[i], epsilon);
    sum += (ai - ei) * Math.log(ai / ei);
  }
  return sum;
}

/**
 * Jensen-Shannon distance, base 2: sqrt of the JS divergence, 0 for equal distributions and 1 for
 * disjoint ones (SciPy's `jensenshannon(p, q, base=2)`). Takes counts or shares.
 */
export function jensenShannonDistance(p: ArrayLike<number>, q: ArrayLike<number>): number {
  if (p.length !== q.length) throw new RangeError('jensenShannonDistance: lengths differ');
  const a = shares(p);
  const b = shares(q);
  let divergence = 0;
  for (let i = 0; i < a.length; i++) {
    const m = (a[i] + b[i]) / 2;
    if (a[i] > 0) divergence += 0.5 * a[i] * Math.log2(a[i] / m);
    if (b[i] > 0) divergence += 0.5 * b[i] * Math.log2(b[i] / m);
  }
  return Math.sqrt(Math.max(0, divergence));
}
