// The baseline's cumulative distribution, rebuilt from its summary without the training data: knots at
// the percentiles (every 1%, or the named p1..p99 when a summary has no percentiles), at the histogram's
// inner edges (exact left limits) and at min/max, linear in between. With percentiles the error is at
// most about 0.01, far below the KS critical value of a 500-row window (about 0.08; docs/drift.md).
import { QUANTILE_KEYS, QUANTILE_LEVELS, type Summary } from '../profile/index.ts';

export interface BaselineCdf {
  /** F(x) = P(X <= x), right-continuous. */
  at(x: number): number;
  /** F(x-) = P(X < x). */
  before(x: number): number;
}

interface Knot {
  x: number;
  /** F just before x and at x; they differ where the baseline has a point mass (ties). */
  lo: number;
  hi: number;
}

export function baselineCdf(summary: Summary): BaselineCdf {
  const knots = buildKnots(summary);
  const xs = knots.map((k) => k.x);
  // Index of the last knot with x <= value, or -1.
  const find = (value: number): number => {
    let lo = -1;
    let hi = xs.length - 1;
    while (lo < hi) {
      const mid = (lo + hi + 1) >> 1;
      if (xs[mid] <= value) lo = mid;
      else hi = mid - 1;
    }
    return lo;
  };
  const between = (i: number, x: number): number => {
    if (i < 0) return 0;
    if (i === knots.length - 1) return knots[i].hi;
    const a = knots[i];
    const b = knots[i + 1];
    return a.hi + ((b.lo - a.hi) * (x - a.x)) / (b.x - a.x);
  };
  return {
    at(x) {
      const i = find(x);
      return i >= 0 && xs[i] === x ? knots[i].hi : between(i, x);
    },
    before(x) {
      const i = find(x);
      return i >= 0 && xs[i] === x ? knots[i].lo : between(i, x);
    },
  };
}

function buildKnots(s: Summary): Knot[] {
  // [x, F, kind]: 'left' knows F(x-), 'right' knows F(x), 'both' a quantile, which lies in [F(x-), F(x)].
  const points: [number, number, 'left' | 'right' | 'both'][] = [[s.min, 0, 'left'], [s.max, 1, 'right']];
  if (s.percentiles !== undefined) s.percentiles.forEach((x, i) => points.push([x, i / 100, 'both']));
  else QUANTILE_KEYS.forEach((key, i) => points.push([s.quantiles[key], QUANTILE_LEVELS[i], 'both']));
  const { edges, counts } = s.histogram;
  const total = counts.reduce((a, b) => a + b, 0);
  if (total > 0) {
    let cumulative = 0;
    // Inner edges only: the end bins also hold the values beyond the first and last edge.
    for (let i = 1; i < edges.length - 1; i++) {
      cumulative += counts[i - 1];
      if (edges[i] > s.min && edges[i] <= s.max) points.push([edges[i], cumulative / total, 'left']);
    }
  }
  points.sort((a, b) => a[0] - b[0]);
  const knots: Knot[] = [];
  for (const [x, f, kind] of points) {
    let k = knots[knots.length - 1];
    if (k === undefined || k.x !== x) {
      k = { x, lo: Number.POSITIVE_INFINITY, hi: Number.NEGATIVE_INFINITY };
      knots.push(k);
    }
    if (kind !== 'right') k.lo = Math.min(k.lo, f);
    if (kind !== 'left') k.hi = Math.max(k.hi, f);
    if (kind === 'right' && k.lo === Number.POSITIVE_INFINITY) k.lo = f;
  }
  // Fill one-sided knots (no jump known) and make the whole sequence non-decreasing; rounding in the
  // manifest can leave a quantile a hair on the wrong side of a histogram edge.
  let floor = 0;
  for (const k of knots) {
    if (k.lo === Number.POSITIVE_INFINITY) k.lo = k.hi;
    if (k.hi === Number.NEGATIVE_INFINITY) k.hi = k.lo;
    k.lo = Math.min(1, Math.max(floor, k.lo));
    k.hi = Math.min(1, Math.max(k.lo, k.hi));
    floor = k.hi;
  }
  knots[knots.length - 1].hi = 1;
  return knots;
}
