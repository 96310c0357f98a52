// A fixed-size latency histogram with log-scale buckets: constant memory however many requests, and
// any quantile within one bucket's width (10 %) of the exact value, which is ample for a p99 ratio test.

/** Bucket i covers (MIN_MS·GROWTH^(i-1), MIN_MS·GROWTH^i]; bucket 0 takes everything ≤ MIN_MS. */
const MIN_MS = 0.01;
const GROWTH = 1.1;
/** 0.01 ms .. about 10 minutes; anything slower lands in the last bucket. */
export const SKETCH_BUCKETS = Math.ceil(Math.log(600_000 / MIN_MS) / Math.log(GROWTH)) + 1;

export class LatencySketch {
  private readonly counts = new Float64Array(SKETCH_BUCKETS);
  private n = 0;
  private max = 0;

  get count(): number {
    return this.n;
  }

  add(ms: number): void {
    if (!Number.isFinite(ms) || ms < 0) return;
    this.counts[bucketOf(ms)]++;
    this.n++;
    if (ms > this.max) this.max = ms;
  }

  /** The upper bound of the bucket holding the q-quantile (never above the largest value seen);
   * 0 when empty. Upper bounds err on the slow side, which is the safe side for a latency gate. */
  quantile(q: number): number {
    if (this.n === 0) return 0;
    const rank = Math.max(1, Math.ceil(q * this.n));
    let seen = 0;
    for (let i = 0; i < SKETCH_BUCKETS; i++) {
      seen += this.counts[i];
      // The last bucket is open-ended: the largest value seen is its only honest bound.
      if (seen >= rank) return i === SKETCH_BUCKETS - 1 ? this.max : Math.min(upperBound(i), this.max);
    }
    return this.max;
  }

  merge(other: LatencySketch): void {
    for (let i = 0; i < SKETCH_BUCKETS; i++) this.counts[i] += other.counts[i];
    this.n += other.n;
    this.max = Math.max(this.max, other.max);
  }

  /** Sparse [bucket, count] pairs: a few dozen entries in practice, for the rollout's stats_json. */
  toJSON(): { buckets: [number, number][]; max: number } {
    const buckets: [number, number][] = [];
    this.counts.forEach((c, i) => {
      if (c > 0) buckets.push([i, c]);
    });
    return { buckets, max: this.max };
  }

  static fromJSON(json: { buckets: [number, number][]; max: number }): LatencySketch {
    const sketch = new LatencySketch();
    for (const [i, c] of json.buckets) {
      if (Number.isInteger(i) && i >= 0 && i < SKETCH_BUCKETS && c > 0) {
        sketch.counts[i] += c;
        sketch.n += c;
      }
    }
    sketch.max = json.max;
    return sketch;
  }
}

function bucketOf(ms: number): number {
  if (ms <= MIN_MS) return 0;
  return Math.min(SKETCH_BUCKETS - 1, Math.ceil(Math.log(ms / MIN_MS) / Math.log(GROWTH) - 1e-9));
}

function upperBound(i: number): number {
  return MIN_MS * GROWTH ** i;
}
