// Rate limiting shared by every replica through Redis: one Lua script refills and takes atomically,
// on the server's clock. When Redis cannot answer, the limiter fails closed (503 MG_OVERLOADED) or,
// when configured, open (allow and report), so an outage is never silent.
import { createHash } from 'node:crypto';
import { Redis } from 'ioredis';
import { ModelGateError } from '../../errors.ts';
import { EPSILON, checkTakes, decide } from './bucket.ts';
import { TAKE_SCRIPT, evalCached, sha1 } from './redis-script.ts';
import type { BucketRule, BucketTake, Decision, MultiDecision, RateLimiter } from './types.ts';

export interface RedisRateLimiterOptions {
  /** A URL (the limiter opens and closes its own connection) or a client to share (left open). */
  redis: string | Redis;
  /** Prefix of every key; default `mg:rl:`. The bucket key itself is hashed after it. */
  keyPrefix?: string;
  /** Allow requests while Redis cannot answer instead of refusing them. Default false. */
  failOpen?: boolean;
  /** Told of every Redis failure, in both modes (for logs and metrics). */
  onError?: (err: Error) => void;
  /** Longest wait for Redis on one request before counting it as unavailable. Default 250 ms. */
  timeoutMs?: number;
}

const SCRIPT_SHA = sha1(TAKE_SCRIPT);

export class RedisRateLimiter implements RateLimiter {
  private readonly redis: Redis;
  private readonly owned: boolean;
  private readonly prefix: string;
  private readonly failOpen: boolean;
  private readonly onError: (err: Error) => void;
  private readonly timeoutMs: number;

  constructor(options: RedisRateLimiterOptions) {
    this.prefix = options.keyPrefix ?? 'mg:rl:';
    this.failOpen = options.failOpen ?? false;
    this.onError = options.onError ?? (() => {});
    this.timeoutMs = options.timeoutMs ?? 250;
    if (typeof options.redis === 'string') {
      this.owned = true;
      this.redis = new Redis(options.redis, {
        // Fail a request quickly rather than queue it behind reconnection attempts for seconds.
        maxRetriesPerRequest: 1,
        connectTimeout: Math.max(1000, this.timeoutMs * 4),
        // Closing while reconnecting arms a timer on the dead socket that holds the process open
        // this long (2 s by default); shutdown should not wait on it.
        disconnectTimeout: this.timeoutMs,
      });
      // Connection errors surface through the failed commands (and onError); this listener only
      // keeps ioredis from printing each reconnection attempt.
      this.redis.on('error', () => {});
    } else {
      this.owned = false;
      this.redis = options.redis;
    }
  }

  /** The Redis key of a bucket: hashed so any principal id or model name is a safe, bounded key. */
  redisKey(key: string): string {
    return this.prefix + createHash('sha256').update(key).digest('hex').slice(0, 32);
  }

  async take(key: string, cost: number, rule: BucketRule): Promise<Decision> {
    return (await this.takeAll([{ key, cost, rule }])).decisions[0];
  }

  async takeAll(takes: readonly BucketTake[]): Promise<MultiDecision> {
    checkTakes(takes);
    if (takes.length === 0) return { allowed: true, decisions: [] };
    const keys = takes.map((t) => this.redisKey(t.key));
    const args = takes.flatMap((t) => [t.cost, t.rule.capacity, t.rule.refillPerSecond]);
    let reply: unknown;
    try {
      reply = await this.withTimeout(evalCached(this.redis, TAKE_SCRIPT, SCRIPT_SHA, keys, [...args, EPSILON]));
    } catch (err) {
      return this.unavailable(takes, err);
    }
    return this.parse(takes, reply);
  }

  async close(): Promise<void> {
    if (!this.owned) return;
    if (this.redis.status === 'ready') await this.redis.quit();
    else this.redis.disconnect();
  }

  private parse(takes: readonly BucketTake[], reply: unknown): MultiDecision {
    if (!Array.isArray(reply) || reply.length !== 1 + 2 * takes.length || !reply.every((v) => typeof v === 'number')) {
      throw new ModelGateError('MG_INTERNAL', 'unexpected reply from the rate limit script');
    }
    const nums = reply as number[];
    const decisions = takes.map((t, i): Decision => {
      const remaining = nums[1 + 2 * i];
      const retryAfterSeconds = nums[2 + 2 * i];
      // cost > capacity is decided here, like in memory, so both stores give the same hint.
      if (t.cost > t.rule.capacity) return { ...decide(remaining, t.cost, t.rule).decision, remaining };
      return { allowed: retryAfterSeconds === 0, remaining, retryAfterSeconds, limit: t.rule.capacity };
    });
    return { allowed: nums[0] === 1, decisions };
  }

  private unavailable(takes: readonly BucketTake[], cause: unknown): MultiDecision {
    const err = cause instanceof Error ? cause : new Error(String(cause));
    this.onError(err);
    if (!this.failOpen) {
      // 503 rather than 429: the fault is ours, not the client's, and a retry soon may well succeed.
      throw new ModelGateError('MG_OVERLOADED', 'rate limiting is unavailable; retry later', {
        retryAfterSeconds: 1,
        cause: err,
      });
    }
    // Open: every bucket is taken as full, except that a cost above capacity is still refused.
    const decisions = takes.map((t) => decide(t.rule.capacity, t.cost, t.rule).decision);
    return { allowed: decisions.every((d) => d.allowed), decisions };
  }

  private withTimeout<T>(p: Promise<T>): Promise<T> {
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(new Error(`Redis did not answer within ${this.timeoutMs} ms`)), this.timeoutMs);
    });
    return Promise.race([p, timeout]).finally(() => clearTimeout(timer));
  }
}
