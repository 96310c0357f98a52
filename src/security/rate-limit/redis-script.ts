// The Lua script that refills and takes from several buckets in one atomic step on the Redis server,
// and the EVALSHA call that falls back to EVAL when the server has not cached the script yet.
import { createHash } from 'node:crypto';
import type { Redis } from 'ioredis';

// KEYS: the bucket keys. ARGV: per key, cost, capacity and refillPerSecond; then the epsilon.
// Returns {allowed, remaining1, retryAfter1, remaining2, retryAfter2, ...} as integers.
// Time comes from the server (TIME), not the replicas, so skewed replica clocks share one budget.
// Mirrors bucket.ts; the cost > capacity case is decided by the caller and never reaches a bucket
// that could hold it, so here it is simply "not enough tokens".
export const TAKE_SCRIPT = `
if redis.replicate_commands then pcall(redis.replicate_commands) end
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + tonumber(t[2]) / 1000
local eps = tonumber(ARGV[#ARGV])
local n = #KEYS
local tokens, costs, caps, rates = {}, {}, {}, {}
local all = 1
for i = 1, n do
  local cost, cap, rate = tonumber(ARGV[3*i-2]), tonumber(ARGV[3*i-1]), tonumber(ARGV[3*i])
  local b = redis.call('HMGET', KEYS[i], 't', 'u')
  local tk = cap
  if b[1] and b[2] then
    local elapsed = math.max(0, now - tonumber(b[2]))
    tk = math.min(cap, tonumber(b[1]) + elapsed * rate / 1000)
  end
  tokens[i], costs[i], caps[i], rates[i] = tk, cost, cap, rate
  if cost > cap or cost > tk + eps then all = 0 end
end
local out = {all}
for i = 1, n do
  local tk, cost, cap, rate = tokens[i], costs[i], caps[i], rates[i]
  local retry = 0
  if cost > tk + eps then
    retry = math.max(1, math.ceil((cost - tk) / rate - eps))
  elseif all == 1 then
    tk = math.max(0, tk - cost)
    redis.call('HSET', KEYS[i], 't', tostring(tk), 'u', tostring(now))
    -- Once full again the bucket equals a missing one, so let it expire then.
    redis.call('PEXPIRE', KEYS[i], math.max(1, math.ceil((cap - tk) * 1000 / rate)))
  end
  out[#out+1] = math.max(0, math.floor(tk + eps))
  out[#out+1] = retry
end
return out
`;

export function sha1(text: string): string {
  return createHash('sha1').update(text).digest('hex');
}

/** EVALSHA, and EVAL once when the server answers NOSCRIPT (restart, failover, SCRIPT FLUSH). */
export async function evalCached(
  redis: Redis,
  script: string,
  sha: string,
  keys: readonly string[],
  args: readonly (string | number)[],
): Promise<unknown> {
  try {
    return await redis.evalsha(sha, keys.length, ...keys, ...args);
  } catch (err) {
    if (!(err instanceof Error) || !err.message.startsWith('NOSCRIPT')) throw err;
    return await redis.eval(script, keys.length, ...keys, ...args);
  }
}
