// The rate limiter interface every store implements (memory, Redis), and the values it trades in.
// Costs are counted in rows of a request, so one large batch spends as much as many small ones.

/** A token bucket: up to `capacity` units at once (the burst), refilled at `refillPerSecond`. */
export interface BucketRule {
  capacity: number;
  refillPerSecond: number;
}

export interface Decision {
  allowed: boolean;
  /** Whole units left in the bucket after this take (or before it, when refused). */
  remaining: number;
  /** Whole seconds (>= 1) until a retry of the same cost can succeed when refused; 0 when allowed. */
  retryAfterSeconds: number;
  /** The bucket's capacity, for RateLimit-Limit style headers. */
  limit: number;
  /**
   * True when the cost exceeds the bucket's capacity: waiting cannot help, the request must be split.
   * `retryAfterSeconds` is then the time to fill the bucket, the most any retry hint could be.
   */
  exceedsCapacity?: boolean;
}

/** One bucket to take from in an all-or-nothing `takeAll`. */
export interface BucketTake {
  key: string;
  cost: number;
  rule: BucketRule;
}

export interface MultiDecision {
  /** True when every bucket had enough; only then was anything consumed. */
  allowed: boolean;
  /** One decision per bucket, in the order given; each says whether that bucket alone had enough. */
  decisions: Decision[];
}

export interface RateLimiter {
  /** Takes `cost` units from the bucket `key` if it holds that many; otherwise takes nothing. */
  take(key: string, cost: number, rule: BucketRule): Promise<Decision>;
  /**
   * Takes from several buckets atomically: either every bucket has enough and all are charged, or
   * none is. So a request refused by one limit does not spend the budget of the others.
   */
  takeAll(takes: readonly BucketTake[]): Promise<MultiDecision>;
  close(): Promise<void>;
}

/** Milliseconds from a monotonic source; injectable so tests move time instead of sleeping. */
export interface Clock {
  now(): number;
}
