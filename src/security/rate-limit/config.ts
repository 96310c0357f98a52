// The `rateLimits` section of the settings file, its defaults, and the factory that picks the store:
// Redis when a URL is configured (replicas share one budget), memory otherwise (one machine).
import { z } from 'zod';
import { MemoryRateLimiter } from './memory.ts';
import { RedisRateLimiter } from './redis.ts';
import type { Clock, RateLimiter } from './types.ts';

export const bucketRuleSchema = z
  .object({
    capacity: z.number().int().min(1).max(1e9).describe('burst: most rows accepted at once'),
    refillPerSecond: z.number().positive().max(1e9).describe('sustained rate: rows per second added back'),
  })
  .strict();

// Costs are rows. Per principal: 200 rows/s is far above an interactive client and most integrations,
// yet bounds how fast one key can query (model extraction, a leaked key); the burst of 400 is also the
// largest single request a principal may send. Per model: 2000 rows/s, burst 4000, a cluster-wide
// ceiling of ten principals at full speed, so one hot model cannot starve the others on shared
// replicas; raise it with the replica count. Per (principal, model): off, the two above bound it.
export const DEFAULT_PER_PRINCIPAL = Object.freeze({ capacity: 400, refillPerSecond: 200 });
export const DEFAULT_PER_MODEL = Object.freeze({ capacity: 4000, refillPerSecond: 2000 });
// Feedback labels per principal: a burst of 10,000 is one request of the largest size the route takes,
// and 1,000 labels/s outruns any labelling pipeline, yet bounds the audit-log joins one key can cause.
export const DEFAULT_FEEDBACK_PER_PRINCIPAL = Object.freeze({ capacity: 10_000, refillPerSecond: 1000 });

export const rateLimitsSchema = z
  .object({
    perPrincipal: bucketRuleSchema.nullable().default({ ...DEFAULT_PER_PRINCIPAL }).describe('every principal (null: no limit)'),
    perModel: bucketRuleSchema.nullable().default({ ...DEFAULT_PER_MODEL }).describe('every model, over all principals (null: no limit)'),
    perPrincipalModel: bucketRuleSchema.nullable().default(null).describe('each principal on each model (null: no limit)'),
    feedbackPerPrincipal: bucketRuleSchema
      .nullable()
      .default({ ...DEFAULT_FEEDBACK_PER_PRINCIPAL })
      .describe('feedback labels of every principal, a bucket of its own (null: no limit)'),
    overrides: z
      .object({
        principals: z.record(z.string(), bucketRuleSchema).default({}).describe('rules replacing perPrincipal, by principal id'),
        models: z.record(z.string(), bucketRuleSchema).default({}).describe('rules replacing perModel, by model name'),
      })
      .strict()
      .prefault({}),
    failOpen: z.boolean().default(false).describe('with Redis: allow requests while Redis is unreachable instead of answering 503'),
    redisTimeoutMs: z.number().int().min(1).max(60_000).default(250).describe('with Redis: longest wait on one request before Redis counts as unavailable'),
    memoryMaxKeys: z.number().int().min(1).max(10_000_000).default(100_000).describe('without Redis: most buckets kept in memory (LRU beyond)'),
  })
  .strict()
  .prefault({});

export type RateLimitSettings = z.infer<typeof rateLimitsSchema>;

export interface RateLimiterDeps {
  /** Set: buckets live in Redis, shared by every replica using the same URL. */
  redisUrl?: string;
  onError?: (err: Error) => void;
  clock?: Clock;
}

export function createRateLimiter(settings: RateLimitSettings, deps: RateLimiterDeps = {}): RateLimiter {
  if (deps.redisUrl !== undefined && deps.redisUrl !== '') {
    return new RedisRateLimiter({
      redis: deps.redisUrl,
      failOpen: settings.failOpen,
      timeoutMs: settings.redisTimeoutMs,
      onError: deps.onError,
    });
  }
  return new MemoryRateLimiter({ maxKeys: settings.memoryMaxKeys, clock: deps.clock });
}
