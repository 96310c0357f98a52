// Rate limiting on one machine: a Map of token buckets refilled lazily from elapsed time. Memory is
// bounded twice: buckets that have refilled to full are swept (forgetting them changes nothing), and
// past `maxKeys` the least recently used bucket is evicted, so rotating keys cannot exhaust memory.
import { checkTakes, decide, refill, wholeTokens } from './bucket.ts';
import type { BucketRule, BucketTake, Clock, Decision, MultiDecision, RateLimiter } from './types.ts';

export interface MemoryRateLimiterOptions {
  /** Most buckets kept; beyond it the least recently used is evicted. Default 100 000. */
  maxKeys?: number;
  /** How often full, idle buckets are swept, in clock milliseconds. Default 60 000. */
  sweepIntervalMs?: number;
  /** Default: performance.now(), which is monotonic, so a wall-clock step cannot mint tokens. */
  clock?: Clock;
}

interface Bucket {
  tokens: number;
  updatedMs: number;
  /** The rule last applied, so the sweep can tell whether the bucket has refilled to full. */
  rule: BucketRule;
}

const monotonic: Clock = { now: () => performance.now() };

export class MemoryRateLimiter implements RateLimiter {
  // A Map iterates in insertion order; re-inserting on each use makes its first entry the LRU one.
  private readonly buckets = new Map<string, Bucket>();
  private readonly maxKeys: number;
  private readonly sweepIntervalMs: number;
  private readonly clock: Clock;
  private lastSweepMs: number;

  constructor(options: MemoryRateLimiterOptions = {}) {
    this.maxKeys = options.maxKeys ?? 100_000;
    if (!Number.isInteger(this.maxKeys) || this.maxKeys < 1) throw new RangeError('maxKeys must be an integer >= 1');
    this.sweepIntervalMs = options.sweepIntervalMs ?? 60_000;
    this.clock = options.clock ?? monotonic;
    this.lastSweepMs = this.clock.now();
  }

  /** Buckets currently held (for tests and metrics). */
  get size(): number {
    return this.buckets.size;
  }

  async take(key: string, cost: number, rule: BucketRule): Promise<Decision> {
    return this.takeNow([{ key, cost, rule }]).decisions[0];
  }

  async takeAll(takes: readonly BucketTake[]): Promise<MultiDecision> {
    return this.takeNow(takes);
  }

  async close(): Promise<void> {
    this.buckets.clear();
  }

  // Synchronous from check to charge, so on one event loop the whole takeAll is atomic.
  private takeNow(takes: readonly BucketTake[]): MultiDecision {
    checkTakes(takes);
    const now = this.clock.now();
    this.maybeSweep(now);
    const current = takes.map((t) => this.tokensAt(t.key, t.rule, now));
    const outcomes = takes.map((t, i) => decide(current[i], t.cost, t.rule));
    const allowed = outcomes.every((o) => o.decision.allowed);
    if (allowed) {
      takes.forEach((t, i) => this.store(t.key, { tokens: outcomes[i].after, updatedMs: now, rule: t.rule }));
    } else {
      // Nothing is charged; report what each bucket holds now rather than what it would have held.
      outcomes.forEach((o, i) => {
        if (o.decision.allowed) o.decision.remaining = wholeTokens(current[i]);
      });
      // A refused key is still in use: keep its (empty) bucket recent, or a caller hammering it while
      // rotating other keys would push it out of the LRU and get a fresh burst.
      for (const t of takes) this.touch(t.key);
    }
    return { allowed, decisions: outcomes.map((o) => o.decision) };
  }

  private tokensAt(key: string, rule: BucketRule, now: number): number {
    const b = this.buckets.get(key);
    if (b === undefined) return rule.capacity;
    return refill(b.tokens, now - b.updatedMs, rule);
  }

  private touch(key: string): void {
    const b = this.buckets.get(key);
    if (b === undefined) return;
    this.buckets.delete(key);
    this.buckets.set(key, b);
  }

  private store(key: string, bucket: Bucket): void {
    this.buckets.delete(key);
    this.buckets.set(key, bucket);
    while (this.buckets.size > this.maxKeys) {
      const oldest = this.buckets.keys().next().value as string;
      this.buckets.delete(oldest);
    }
  }

  // A full bucket is indistinguishable from a missing one, so dropping it loses nothing. Sweeping on
  // an interval keeps the cost amortised: one pass over at most maxKeys entries per interval.
  private maybeSweep(now: number): void {
    if (now - this.lastSweepMs < this.sweepIntervalMs) return;
    this.lastSweepMs = now;
    for (const [key, b] of this.buckets) {
      if (refill(b.tokens, now - b.updatedMs, b.rule) >= b.rule.capacity) this.buckets.delete(key);
    }
  }
}
