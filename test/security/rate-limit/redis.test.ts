// The Redis limiter against a real Redis (REDIS_URL, else 127.0.0.1:6379): the shared contract, two
// replicas sharing one budget, key hashing and expiry, the EVALSHA fallback, and both failure modes.
// An unreachable Redis fails these tests; it never skips them.
import { after, test } from 'node:test';
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { Redis } from 'ioredis';
import { isModelGateError } from '../../../src/errors.ts';
import { RedisRateLimiter, createRateLimiter, rateLimitsSchema } from '../../../src/security/rate-limit/index.ts';
import { evalCached, sha1 } from '../../../src/security/rate-limit/redis-script.ts';
import { rateLimiterContract } from './contract.ts';

const REDIS_URL = process.env.REDIS_URL ?? 'redis://127.0.0.1:6379';
const PREFIX = `mg:rl:test-${randomUUID()}:`;
const UNREACHABLE = 'redis://127.0.0.1:1';
const clients: Redis[] = [];

/** A connected client, or an error that says plainly that Redis is missing. */
async function connect(): Promise<Redis> {
  const client = new Redis(REDIS_URL, { maxRetriesPerRequest: 1, connectTimeout: 2000, lazyConnect: true });
  let cause: unknown;
  client.on('error', (err) => (cause = err));
  try {
    await client.connect();
    await client.ping();
  } catch (err) {
    client.disconnect();
    const why = String(cause ?? err);
    throw new Error(`Redis is not reachable at ${REDIS_URL} (${why}); start redis-server or set REDIS_URL`);
  }
  clients.push(client);
  return client;
}

const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

after(async () => {
  if (clients.length === 0) return;
  const [c] = clients;
  const keys: string[] = [];
  for await (const batch of c.scanStream({ match: `${PREFIX}*`, count: 1000 })) keys.push(...(batch as string[]));
  if (keys.length > 0) await c.del(...keys);
  await Promise.all(clients.map((x) => x.quit()));
});

rateLimiterContract('redis', async () => ({
  limiter: new RedisRateLimiter({ redis: await connect(), keyPrefix: PREFIX }),
  elapse: sleep,
}));

test('two replicas on two connections share one budget: 2N concurrent takes allow exactly N', async () => {
  const a = new RedisRateLimiter({ redis: await connect(), keyPrefix: PREFIX });
  const b = new RedisRateLimiter({ redis: await connect(), keyPrefix: PREFIX });
  const n = 50;
  const rule = { capacity: n, refillPerSecond: 0.001 };
  const key = `shared:${randomUUID()}`;
  const results = await Promise.all(Array.from({ length: 2 * n }, (_, i) => (i % 2 === 0 ? a : b).take(key, 1, rule)));
  assert.equal(results.filter((d) => d.allowed).length, n);
  assert.equal((await a.take(key, 1, rule)).allowed, false);
  assert.equal((await b.take(key, 1, rule)).allowed, false);
});

test('bucket keys are the prefix and a hash, whatever the principal id holds, and expire once full', async () => {
  const client = await connect();
  const limiter = new RedisRateLimiter({ redis: client, keyPrefix: PREFIX });
  const hostile = `alice\r\n*{slot}:${randomUUID()}`;
  await limiter.take(hostile, 4, { capacity: 10, refillPerSecond: 1 });
  const redisKey = limiter.redisKey(hostile);
  assert.match(redisKey, new RegExp(`^${PREFIX.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}[0-9a-f]{32}$`));
  assert.equal(await client.exists(redisKey), 1);
  const pttl = await client.pttl(redisKey);
  assert.ok(pttl > 0 && pttl <= 4000, `expires when refilled (4 tokens at 1/s), pttl ${pttl}`);
});

test('a script the server does not know yet is sent with EVAL, then cached', async () => {
  const client = await connect();
  const script = `return 42 -- ${randomUUID()}`;
  const sha = sha1(script);
  assert.deepEqual(await client.script('EXISTS', sha), [0]);
  assert.equal(await evalCached(client, script, sha, [], []), 42);
  assert.deepEqual(await client.script('EXISTS', sha), [1]);
  assert.equal(await evalCached(client, script, sha, [], []), 42);
});

test('closing a limiter leaves a shared client open', async () => {
  const client = await connect();
  await new RedisRateLimiter({ redis: client, keyPrefix: PREFIX }).close();
  assert.equal(await client.ping(), 'PONG');
});

test('unreachable Redis, fail closed (default): MG_OVERLOADED with a retry hint, and onError is told', async () => {
  const seen: Error[] = [];
  const limiter = new RedisRateLimiter({ redis: UNREACHABLE, timeoutMs: 200, onError: (e) => seen.push(e) });
  try {
    await assert.rejects(limiter.take('k', 1, { capacity: 5, refillPerSecond: 1 }), (err: unknown) => {
      assert.ok(isModelGateError(err));
      assert.equal(err.code, 'MG_OVERLOADED');
      assert.equal(err.retryAfterSeconds, 1);
      return true;
    });
    assert.equal(seen.length, 1);
  } finally {
    await limiter.close();
  }
});

test('unreachable Redis, fail open: allowed and reported, but a cost above capacity is still refused', async () => {
  const seen: Error[] = [];
  const limiter = createRateLimiter(rateLimitsSchema.parse({ failOpen: true, redisTimeoutMs: 200 }), {
    redisUrl: UNREACHABLE,
    onError: (e) => seen.push(e),
  });
  try {
    assert.ok(limiter instanceof RedisRateLimiter, 'a Redis URL selects the Redis limiter');
    const rule = { capacity: 5, refillPerSecond: 1 };
    assert.deepEqual(await limiter.take('k', 2, rule), { allowed: true, remaining: 3, retryAfterSeconds: 0, limit: 5 });
    assert.equal((await limiter.take('k', 6, rule)).exceedsCapacity, true);
    assert.equal(seen.length, 2);
    assert.ok(seen.every((e) => e instanceof Error));
  } finally {
    await limiter.close();
  }
});
