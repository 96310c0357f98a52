// The one contract every RateLimiter implementation must keep, registered against a factory so the
// memory and Redis limiters run the very same tests. Rules are chosen so the outcome does not depend
// on how long a test takes: slow refills where nothing may refill, fast ones where something must.
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { isModelGateError } from '../../../src/errors.ts';
import { RateLimitPolicy, type RateLimiter } from '../../../src/security/rate-limit/index.ts';

export interface LimiterHarness {
  limiter: RateLimiter;
  /** Lets at least `ms` milliseconds pass on the limiter's clock. */
  elapse(ms: number): Promise<void>;
}

/** A refill so slow that nothing refills during a test (one token per 100 s, so a test may stall 10 s). */
const SLOW = 0.01;

export function rateLimiterContract(name: string, open: () => Promise<LimiterHarness>): void {
  describe(`RateLimiter contract: ${name}`, () => {
    const key = (label: string) => `${label}:${randomUUID()}`;
    async function withLimiter(fn: (h: LimiterHarness) => Promise<void>): Promise<void> {
      const h = await open();
      try {
        await fn(h);
      } finally {
        await h.limiter.close();
      }
    }

    test('a full bucket allows its burst, then refuses with a Retry-After for the missing tokens', () =>
      withLimiter(async ({ limiter }) => {
        const k = key('burst');
        const rule = { capacity: 10, refillPerSecond: SLOW };
        assert.deepEqual(await limiter.take(k, 4, rule), { allowed: true, remaining: 6, retryAfterSeconds: 0, limit: 10 });
        assert.deepEqual(await limiter.take(k, 6, rule), { allowed: true, remaining: 0, retryAfterSeconds: 0, limit: 10 });
        assert.deepEqual(await limiter.take(k, 1, rule), { allowed: false, remaining: 0, retryAfterSeconds: 100, limit: 10 });
        assert.equal((await limiter.take(k, 3, rule)).retryAfterSeconds, 300, 'three tokens at one per 100 s');
      }));

    test('a refused take consumes nothing', () =>
      withLimiter(async ({ limiter }) => {
        const k = key('refused');
        const rule = { capacity: 5, refillPerSecond: SLOW };
        assert.equal((await limiter.take(k, 3, rule)).allowed, true);
        const refused = await limiter.take(k, 4, rule);
        assert.equal(refused.allowed, false);
        assert.equal(refused.remaining, 2);
        assert.deepEqual(await limiter.take(k, 2, rule), { allowed: true, remaining: 0, retryAfterSeconds: 0, limit: 5 });
      }));

    test('tokens come back over time, but never beyond capacity', () =>
      withLimiter(async ({ limiter, elapse }) => {
        const k = key('refill');
        const rule = { capacity: 5, refillPerSecond: 1000 };
        assert.equal((await limiter.take(k, 5, rule)).allowed, true);
        await elapse(20); // 20 tokens' worth at 1000/s: the bucket is full again, and only full
        const after = await limiter.take(k, 5, rule);
        assert.equal(after.allowed, true);
        assert.equal(after.remaining, 0, 'refill stops at capacity');
      }));

    test('a cost above capacity is refused, says so, and leaves the bucket alone', () =>
      withLimiter(async ({ limiter }) => {
        const k = key('too-big');
        const rule = { capacity: 10, refillPerSecond: SLOW };
        const d = await limiter.take(k, 11, rule);
        assert.equal(d.allowed, false);
        assert.equal(d.exceedsCapacity, true);
        assert.ok(d.retryAfterSeconds >= 1);
        assert.equal(d.remaining, 10);
        assert.equal((await limiter.take(k, 10, rule)).allowed, true, 'the bucket is still full');
      }));

    test('buckets of different keys are independent', () =>
      withLimiter(async ({ limiter }) => {
        const [a, b] = [key('a'), key('b')];
        const rule = { capacity: 2, refillPerSecond: SLOW };
        await limiter.take(a, 2, rule);
        assert.equal((await limiter.take(a, 1, rule)).allowed, false);
        assert.deepEqual(await limiter.take(b, 2, rule), { allowed: true, remaining: 0, retryAfterSeconds: 0, limit: 2 });
      }));

    test('2N concurrent takes against capacity N allow exactly N', () =>
      withLimiter(async ({ limiter }) => {
        const k = key('race');
        const n = 25;
        const rule = { capacity: n, refillPerSecond: 0.001 };
        const results = await Promise.all(Array.from({ length: 2 * n }, () => limiter.take(k, 1, rule)));
        assert.equal(results.filter((d) => d.allowed).length, n);
        assert.deepEqual(results.filter((d) => d.allowed).map((d) => d.remaining).sort((x, y) => x - y), Array.from({ length: n }, (_, i) => i));
      }));

    test('takeAll charges every bucket or none', () =>
      withLimiter(async ({ limiter }) => {
        const [a, b] = [key('all-a'), key('all-b')];
        const ra = { capacity: 5, refillPerSecond: SLOW };
        const rb = { capacity: 2, refillPerSecond: SLOW };
        const first = await limiter.takeAll([{ key: a, cost: 2, rule: ra }, { key: b, cost: 2, rule: rb }]);
        assert.equal(first.allowed, true);
        assert.deepEqual(first.decisions.map((d) => d.remaining), [3, 0]);
        const second = await limiter.takeAll([{ key: a, cost: 1, rule: ra }, { key: b, cost: 1, rule: rb }]);
        assert.equal(second.allowed, false);
        assert.deepEqual(second.decisions.map((d) => [d.allowed, d.remaining]), [[true, 3], [false, 0]]);
        assert.equal(second.decisions[1].retryAfterSeconds, 100);
        assert.deepEqual(await limiter.take(a, 3, ra), { allowed: true, remaining: 0, retryAfterSeconds: 0, limit: 5 }, 'a was not charged');
      }));

    test('takeAll rejects a repeated key and a negative cost', () =>
      withLimiter(async ({ limiter }) => {
        const k = key('bad');
        const rule = { capacity: 5, refillPerSecond: 1 };
        await assert.rejects(limiter.takeAll([{ key: k, cost: 1, rule }, { key: k, cost: 1, rule }]), RangeError);
        await assert.rejects(limiter.take(k, -1, rule), RangeError);
        await assert.rejects(limiter.take(k, 1, { capacity: 0, refillPerSecond: 1 }), RangeError);
      }));

    test('policy: the tightest limit answers, and a refused request spends no other budget', () =>
      withLimiter(async ({ limiter }) => {
        const model = key('model');
        const policy = new RateLimitPolicy(limiter, {
          perPrincipal: { capacity: 3, refillPerSecond: SLOW },
          perModel: { capacity: 5, refillPerSecond: SLOW },
        });
        const alice = key('alice');
        const ok = await policy.check(alice, model, 2);
        assert.deepEqual([ok.scope, ok.remaining, ok.limit], ['principal', 1, 3]);
        await assert.rejects(policy.check(alice, model, 2), (err: unknown) => {
          assert.ok(isModelGateError(err));
          assert.equal(err.code, 'MG_RATE_LIMITED');
          assert.match(err.message, /per-principal/);
          assert.equal(err.retryAfterSeconds, 100);
          return true;
        });
        // The model bucket still holds 5 - 2 = 3 because alice's refusal charged nothing.
        assert.equal((await policy.check(key('bob'), model, 3)).allowed, true);
        await assert.rejects(policy.check(key('carol'), model, 1), (err: unknown) => {
          assert.ok(isModelGateError(err));
          assert.match(err.message, /per-model rate limit exceeded for model/);
          return true;
        });
      }));
  });
}
