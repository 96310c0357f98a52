// Token bucket arithmetic shared by the in-memory limiter and mirrored by the Redis Lua script
// (redis-script.ts): lazy refill from elapsed time, the take decision, and argument checks.
import type { BucketRule, BucketTake, Decision } from './types.ts';

/** Float slack so 0.1/s x 10 s counts as one whole token despite binary rounding. */
export const EPSILON = 1e-9;

/** Tokens after refilling `tokens` for `elapsedMs` (clamped at 0 so a clock step back costs nothing). */
export function refill(tokens: number, elapsedMs: number, rule: BucketRule): number {
  return Math.min(rule.capacity, tokens + (Math.max(0, elapsedMs) * rule.refillPerSecond) / 1000);
}

/** The decision for taking `cost` from a bucket holding `tokens`, and the tokens left if taken. */
export function decide(tokens: number, cost: number, rule: BucketRule): { decision: Decision; after: number } {
  const limit = rule.capacity;
  if (cost > rule.capacity) {
    return {
      decision: {
        allowed: false,
        remaining: wholeTokens(tokens),
        retryAfterSeconds: Math.max(1, Math.ceil(rule.capacity / rule.refillPerSecond)),
        limit,
        exceedsCapacity: true,
      },
      after: tokens,
    };
  }
  if (cost <= tokens + EPSILON) {
    const after = Math.max(0, tokens - cost);
    return { decision: { allowed: true, remaining: wholeTokens(after), retryAfterSeconds: 0, limit }, after };
  }
  return {
    decision: { allowed: false, remaining: wholeTokens(tokens), retryAfterSeconds: retryAfter(cost - tokens, rule), limit },
    after: tokens,
  };
}

export function retryAfter(missing: number, rule: BucketRule): number {
  return Math.max(1, Math.ceil(missing / rule.refillPerSecond - EPSILON));
}

export function wholeTokens(tokens: number): number {
  return Math.max(0, Math.floor(tokens + EPSILON));
}

/** Milliseconds until a bucket holding `tokens` is full again (and can be forgotten). */
export function msUntilFull(tokens: number, rule: BucketRule): number {
  return Math.max(0, ((rule.capacity - tokens) * 1000) / rule.refillPerSecond);
}

// Programming errors, not client errors: costs come from validated shapes and rules from the schema.
export function checkTakes(takes: readonly BucketTake[]): void {
  const seen = new Set<string>();
  for (const t of takes) {
    checkRule(t.rule);
    if (!Number.isFinite(t.cost) || t.cost < 0) throw new RangeError(`rate limit cost must be a finite number >= 0, got ${t.cost}`);
    if (seen.has(t.key)) throw new RangeError('takeAll was given the same bucket key twice');
    seen.add(t.key);
  }
}

export function checkRule(rule: BucketRule): void {
  if (!Number.isFinite(rule.capacity) || rule.capacity <= 0) throw new RangeError(`bucket capacity must be > 0, got ${rule.capacity}`);
  if (!Number.isFinite(rule.refillPerSecond) || rule.refillPerSecond <= 0) {
    throw new RangeError(`bucket refillPerSecond must be > 0, got ${rule.refillPerSecond}`);
  }
}
