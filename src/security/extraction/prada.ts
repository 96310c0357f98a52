// PRADA (Juuti et al., "PRADA: Protecting against DNN Model Stealing Attacks", EuroS&P 2019): for each
// query, the distance to the nearest earlier query of the same predicted class. Natural inputs give
// roughly normally distributed distances; synthetic ones (a seed plus small steps) do not, which the
// Shapiro-Wilk test notices. Memory is bounded: the growing set and the distance window are rings.
import { distance, type SparseVector } from './features.ts';
import { DistinctWindow, NumberWindow } from './windows.ts';
import { shapiroWilk } from './shapiro-wilk.ts';

export interface PradaOptions {
  maxSetSize: number;
  window: number;
  minDistances: number;
  wThreshold: number;
  checkEvery: number;
  maxClasses: number;
}

interface ClassState {
  /** The growing set G_c, oldest overwritten first once full. */
  set: SparseVector[];
  next: number;
  // Running mean and variance (Welford) of this class's minimum distances, for the admission threshold.
  n: number;
  mean: number;
  m2: number;
}

export interface PradaReading {
  /** The last Shapiro-Wilk W, or null before enough distances. */
  w: number | null;
  distances: number;
  tripped: boolean;
}

function fingerprint(v: SparseVector): number {
  let h = 0x811c9dc5;
  const bits = new Uint32Array(v.val.buffer, v.val.byteOffset, v.val.length);
  for (let i = 0; i < v.idx.length; i++) {
    h = Math.imul(h ^ v.idx[i], 0x01000193);
    h = Math.imul(h ^ bits[i], 0x01000193);
  }
  return h >>> 0;
}

export class PradaState {
  private readonly classes = new Map<number, ClassState>();
  private readonly distances: NumberWindow;
  private readonly recent: DistinctWindow;
  private seen = 0;
  private w: number | null = null;

  constructor(private readonly opts: PradaOptions) {
    this.distances = new NumberWindow(opts.window);
    this.recent = new DistinctWindow(opts.window);
  }

  observe(v: SparseVector, predictedClass: number): void {
    // An exact repeat of a recent query teaches an attacker nothing, and clients do resend (retries,
    // rescans); counting it would fill the window with one distance and make the client look synthetic.
    const fp = fingerprint(v);
    if (this.recent.has(fp)) return;
    this.recent.push(fp);
    const cls = this.classOf(predictedClass);
    if (cls.set.length === 0) {
      cls.set.push(v);
      return;
    }
    let d = Infinity;
    for (const g of cls.set) d = Math.min(d, distance(g, v));
    if (d === 0) return; // a repeat older than the recent window
    this.distances.push(d);
    this.seen++;
    cls.n++;
    const delta = d - cls.mean;
    cls.mean += delta / cls.n;
    cls.m2 += delta * (d - cls.mean);
    // Algorithm 1: only a query farther than (mean - std) from the set joins it, so near-copies of
    // members do not crowd the set and the distances keep measuring steps away from what was seen.
    const std = cls.n > 1 ? Math.sqrt(cls.m2 / (cls.n - 1)) : 0;
    if (d > cls.mean - std) this.admit(cls, v);
    if (this.distances.size >= this.opts.minDistances && this.seen % this.opts.checkEvery === 0) {
      this.w = shapiroWilk(this.distances.values()).w;
    }
  }

  reading(): PradaReading {
    return {
      w: this.w,
      distances: this.distances.size,
      tripped: this.w !== null && this.w < this.opts.wThreshold,
    };
  }

  private classOf(c: number): ClassState {
    const key = ((c % this.opts.maxClasses) + this.opts.maxClasses) % this.opts.maxClasses;
    let s = this.classes.get(key);
    if (!s) {
      s = { set: [], next: 0, n: 0, mean: 0, m2: 0 };
      this.classes.set(key, s);
    }
    return s;
  }

  private admit(cls: ClassState, v: SparseVector): void {
    if (cls.set.length < this.opts.maxSetSize) {
      cls.set.push(v);
      return;
    }
    cls.set[cls.next] = v;
    cls.next = (cls.next + 1) % this.opts.maxSetSize;
  }
}
