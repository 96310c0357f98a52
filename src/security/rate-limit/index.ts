// Rate limits for the inference plane: token buckets per principal and per model, in memory on one
// machine or in Redis shared by replicas. See docs/rate-limits.md.
export type { BucketRule, BucketTake, Clock, Decision, MultiDecision, RateLimiter } from './types.ts';
export { MemoryRateLimiter, type MemoryRateLimiterOptions } from './memory.ts';
export { RedisRateLimiter, type RedisRateLimiterOptions } from './redis.ts';
export { RateLimitPolicy, type LimitScope, type PolicyDecision, type RateLimitRules } from './policy.ts';
export {
  DEFAULT_PER_MODEL,
  DEFAULT_PER_PRINCIPAL,
  bucketRuleSchema,
  createRateLimiter,
  rateLimitsSchema,
  type RateLimitSettings,
  type RateLimiterDeps,
} from './config.ts';
