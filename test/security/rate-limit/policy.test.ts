// The policy's choice of buckets and of the decision it reports, and the settings schema; on the
// memory limiter with a fixed clock (the contract suite runs the policy on Redis too).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { isModelGateError, type ModelGateError } from '../../../src/errors.ts';
import {
  DEFAULT_PER_MODEL,
  DEFAULT_PER_PRINCIPAL,
  MemoryRateLimiter,
  RateLimitPolicy,
  createRateLimiter,
  rateLimitsSchema,
  type RateLimitRules,
} from '../../../src/security/rate-limit/index.ts';

const SLOW = 0.1;
const rule = (capacity: number) => ({ capacity, refillPerSecond: SLOW });
const policy = (rules: RateLimitRules) => new RateLimitPolicy(new MemoryRateLimiter({ clock: { now: () => 0 } }), rules);

async function refusal(p: Promise<unknown>): Promise<ModelGateError> {
  try {
    await p;
  } catch (err) {
    assert.ok(isModelGateError(err));
    assert.equal(err.code, 'MG_RATE_LIMITED');
    return err;
  }
  assert.fail('expected a rate limit refusal');
}

test('with no rule configured every request passes', async () => {
  const d = await policy({ perPrincipal: null, perModel: null }).check('alice', 'm', 1_000_000);
  assert.deepEqual([d.allowed, d.scope], [true, null]);
});

test('an allowed request reports the bucket with the fewest tokens left', async () => {
  const p = policy({ perPrincipal: rule(100), perModel: rule(10), perPrincipalModel: rule(50) });
  const d = await p.check('alice', 'm', 4);
  assert.deepEqual([d.scope, d.remaining, d.limit], ['model', 6, 10]);
});

test('refused by several limits, the longest wait is the one reported', async () => {
  const p = policy({ perPrincipal: rule(2), perModel: rule(3) });
  await p.check('alice', 'm', 2);
  const err = await refusal(p.check('alice', 'm', 2)); // principal lacks 2 (20 s), model lacks 1 (10 s)
  assert.equal(err.retryAfterSeconds, 20);
  assert.match(err.message, /^per-principal rate limit exceeded; retry in 20 s$/);
});

test('a principal override replaces the default rule, and can enable one where none is set', async () => {
  const p = policy({
    perPrincipal: rule(1),
    perModel: null,
    overrides: { principals: { batch: rule(100) }, models: { scarce: rule(2) } },
  });
  assert.equal((await p.check('batch', 'm', 50)).remaining, 50);
  await refusal(p.check('alice', 'm', 2));
  const d = await p.check('bob', 'scarce', 1);
  assert.deepEqual([d.scope, d.remaining], ['principal', 0], 'bob has 0 of 1 left, the model 1 of 2');
  await p.check('carol', 'scarce', 1);
  const err = await refusal(p.check('dave', 'scarce', 1));
  assert.match(err.message, /per-model rate limit exceeded for model 'scarce'/);
});

test('principal ids that name Object.prototype members get the default rule', async () => {
  const p = policy({ perPrincipal: rule(1), overrides: { principals: {} } });
  for (const id of ['__proto__', 'constructor', 'toString']) {
    await p.check(id, 'm', 1);
    await refusal(p.check(id, 'm', 1));
  }
});

test('the per-principal-per-model bucket is one per pair', async () => {
  const p = policy({ perPrincipal: null, perModel: null, perPrincipalModel: rule(1) });
  await p.check('alice', 'm1', 1);
  await refusal(p.check('alice', 'm1', 1));
  assert.equal((await p.check('alice', 'm2', 1)).allowed, true);
  assert.equal((await p.check('bob', 'm1', 1)).allowed, true);
  // Pairs that would join to the same string ('a:b' + 'c', 'a' + 'b:c') keep separate buckets.
  await p.check('a:b', 'c', 1);
  assert.equal((await p.check('a', 'b:c', 1)).allowed, true);
});

test('a request larger than a burst is refused with a message to split it', async () => {
  const err = await refusal(policy({ perPrincipal: rule(400), perModel: null }).check('alice', 'm', 401));
  assert.match(err.message, /401 rows .* per-principal rate limit allows at most 400 at once; split it/);
  assert.ok((err.retryAfterSeconds ?? 0) >= 1);
});

test('the settings section: documented defaults, null disables, unknown keys and bad rules are refused', () => {
  const defaults = rateLimitsSchema.parse(undefined);
  assert.deepEqual(defaults, {
    perPrincipal: { ...DEFAULT_PER_PRINCIPAL },
    perModel: { ...DEFAULT_PER_MODEL },
    perPrincipalModel: null,
    feedbackPerPrincipal: { capacity: 10_000, refillPerSecond: 1000 },
    overrides: { principals: {}, models: {} },
    failOpen: false,
    redisTimeoutMs: 250,
    memoryMaxKeys: 100_000,
  });
  assert.deepEqual(DEFAULT_PER_PRINCIPAL, { capacity: 400, refillPerSecond: 200 });
  assert.deepEqual(DEFAULT_PER_MODEL, { capacity: 4000, refillPerSecond: 2000 });
  assert.equal(rateLimitsSchema.parse({ perModel: null }).perModel, null);
  assert.throws(() => rateLimitsSchema.parse({ perPrincipal: { capacity: 0, refillPerSecond: 1 } }));
  assert.throws(() => rateLimitsSchema.parse({ perPrincipal: { capacity: 10, refillPerSecond: 0 } }));
  assert.throws(() => rateLimitsSchema.parse({ perPrincipal: { capacity: 1.5, refillPerSecond: 1 } }));
  assert.throws(() => rateLimitsSchema.parse({ perPrinciple: { capacity: 1, refillPerSecond: 1 } }), 'a typo is an error');
});

test('without a Redis URL the memory limiter is used, bounded by memoryMaxKeys', async () => {
  const limiter = createRateLimiter(rateLimitsSchema.parse({ memoryMaxKeys: 2 }));
  assert.ok(limiter instanceof MemoryRateLimiter);
  for (const k of ['a', 'b', 'c']) await limiter.take(k, 1, rule(5));
  assert.equal(limiter.size, 2);
  await limiter.close();
});
