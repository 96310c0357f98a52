// The memory limiter: the shared contract on an injected clock, then what only memory has: exact
// refill arithmetic, the sweep of full buckets and the LRU bound on the number of keys.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { MemoryRateLimiter } from '../../../src/security/rate-limit/index.ts';
import { rateLimiterContract } from './contract.ts';

function manualClock(start = 1_000_000) {
  let t = start;
  return { now: () => t, advance: (ms: number) => void (t += ms) };
}

rateLimiterContract('memory', async () => {
  const clock = manualClock();
  return { limiter: new MemoryRateLimiter({ clock }), elapse: async (ms) => clock.advance(ms) };
});

test('refill is exact on the clock: half a second at 2/s is one token', async () => {
  const clock = manualClock();
  const l = new MemoryRateLimiter({ clock });
  const rule = { capacity: 10, refillPerSecond: 2 };
  await l.take('k', 10, rule);
  clock.advance(250); // half a token
  assert.deepEqual(await l.take('k', 1, rule), { allowed: false, remaining: 0, retryAfterSeconds: 1, limit: 10 });
  assert.equal((await l.take('k', 3, rule)).retryAfterSeconds, 2, '2.5 tokens missing at 2/s: 1.25 s, rounded up');
  clock.advance(250);
  assert.deepEqual(await l.take('k', 1, rule), { allowed: true, remaining: 0, retryAfterSeconds: 0, limit: 10 });
});

test('a long idle period refills to capacity and no further', async () => {
  const clock = manualClock();
  const l = new MemoryRateLimiter({ clock });
  const rule = { capacity: 3, refillPerSecond: 1 };
  await l.take('k', 3, rule);
  clock.advance(3_600_000);
  assert.equal((await l.take('k', 3, rule)).remaining, 0);
  assert.equal((await l.take('k', 1, rule)).allowed, false);
});

test('a clock stepping back mints no tokens', async () => {
  const clock = manualClock();
  const l = new MemoryRateLimiter({ clock });
  const rule = { capacity: 2, refillPerSecond: 1 };
  await l.take('k', 2, rule);
  clock.advance(-60_000);
  assert.equal((await l.take('k', 1, rule)).allowed, false);
});

test('rotating keys cannot grow memory past maxKeys', async () => {
  const l = new MemoryRateLimiter({ clock: manualClock(), maxKeys: 100 });
  const rule = { capacity: 5, refillPerSecond: 1 };
  for (let i = 0; i < 10_000; i++) await l.take(`attacker-${i}`, 1, rule);
  assert.equal(l.size, 100);
});

test('the least recently used bucket is the one evicted, and a refusal counts as a use', async () => {
  const l = new MemoryRateLimiter({ clock: manualClock(), maxKeys: 3 });
  const rule = { capacity: 1, refillPerSecond: 0.001 };
  await l.take('victim', 1, rule);
  await l.take('b', 1, rule);
  await l.take('c', 1, rule);
  assert.equal((await l.take('victim', 1, rule)).allowed, false, 'refused, and now the most recent');
  await l.take('d', 1, rule); // evicts b, the least recently used
  assert.equal((await l.take('victim', 1, rule)).allowed, false, 'victim kept its empty bucket');
  assert.equal((await l.take('b', 1, rule)).allowed, true, 'b was evicted, so it starts full again');
  assert.equal(l.size, 3);
});

test('buckets that have refilled to full are swept; others are kept', async () => {
  const clock = manualClock();
  const l = new MemoryRateLimiter({ clock, sweepIntervalMs: 1000 });
  const quick = { capacity: 2, refillPerSecond: 1 };
  for (let i = 0; i < 50; i++) await l.take(`idle-${i}`, 1, quick);
  await l.take('slow', 1, { capacity: 10, refillPerSecond: 0.001 });
  clock.advance(5000);
  await l.take('fresh', 1, quick);
  assert.equal(l.size, 2, 'only the still-draining slow bucket and the fresh one remain');
});
