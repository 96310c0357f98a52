// The inference plane's rate limit policy: one request is charged to the caller's bucket, the
// model's bucket and optionally the (caller, model) bucket, all or nothing, and refused with
// MG_RATE_LIMITED (429 + Retry-After) naming the limit that ran out.
import { ModelGateError } from '../../errors.ts';
import type { BucketRule, BucketTake, Decision, RateLimiter } from './types.ts';

/** Rules by scope; an absent or null rule means no limit at that scope. */
export interface RateLimitRules {
  perPrincipal?: BucketRule | null;
  perModel?: BucketRule | null;
  perPrincipalModel?: BucketRule | null;
  /** Feedback labels per principal, apart from its inference budget. */
  feedbackPerPrincipal?: BucketRule | null;
  /** Rules replacing perPrincipal / perModel for named principals and models (and enabling them if unset). */
  overrides?: {
    principals?: Readonly<Record<string, BucketRule>>;
    models?: Readonly<Record<string, BucketRule>>;
  };
}

export type LimitScope = 'principal' | 'model' | 'principal-model';

export interface PolicyDecision extends Decision {
  /** The scope whose decision this is: the tightest one, or none when no limit applies. */
  scope: LimitScope | null;
}

const SCOPE_NAMES: Record<LimitScope, string> = {
  principal: 'per-principal',
  model: 'per-model',
  'principal-model': 'per-principal-per-model',
};

export class RateLimitPolicy {
  constructor(
    private readonly limiter: RateLimiter,
    private readonly rules: RateLimitRules,
  ) {}

  /**
   * Charges `cost` rows of a call by `principalId` to `model`. Returns the tightest decision (fewest
   * remaining) when allowed; throws MG_RATE_LIMITED when any bucket is short, and then charges none.
   */
  async check(principalId: string, model: string, cost: number): Promise<PolicyDecision> {
    const scoped = this.bucketsFor(principalId, model, cost);
    if (scoped.length === 0) return { allowed: true, remaining: Infinity, retryAfterSeconds: 0, limit: Infinity, scope: null };
    const result = await this.limiter.takeAll(scoped.map((s) => s.take));
    const all = result.decisions.map((d, i) => ({ ...d, scope: scoped[i].scope }));
    if (result.allowed) {
      return all.reduce((a, b) => (b.remaining < a.remaining || (b.remaining === a.remaining && b.limit < a.limit) ? b : a));
    }
    // Of the refusals, the longest wait is the one a client must honour before a retry can pass.
    const refused = all.filter((d) => !d.allowed).reduce((a, b) => (b.retryAfterSeconds > a.retryAfterSeconds ? b : a));
    throw refusal(refused, cost, model);
  }

  /**
   * Charges `labels` feedback labels sent by `principalId`, to a bucket of their own: labelling neither
   * spends the caller's inference budget nor the model's, so a labelling pipeline cannot starve
   * inference. Throws MG_RATE_LIMITED when the bucket is short.
   */
  async checkLabels(principalId: string, labels: number): Promise<void> {
    const rule = this.rules.feedbackPerPrincipal;
    if (!rule) return;
    const result = await this.limiter.takeAll([{ key: `f:${principalId}`, cost: labels, rule }]);
    const d = result.decisions[0];
    if (result.allowed) return;
    const message = d.exceedsCapacity
      ? `the request has ${labels} labels but the feedback rate limit allows at most ${d.limit} at once; split it into smaller requests`
      : `feedback rate limit exceeded; retry in ${d.retryAfterSeconds} s`;
    throw new ModelGateError('MG_RATE_LIMITED', message, { retryAfterSeconds: d.retryAfterSeconds });
  }

  private bucketsFor(principalId: string, model: string, cost: number): { scope: LimitScope; take: BucketTake }[] {
    const out: { scope: LimitScope; take: BucketTake }[] = [];
    const o = this.rules.overrides;
    // Own-property lookups only, so a principal named "__proto__" or "constructor" finds no rule.
    const principalRule = own(o?.principals, principalId) ?? this.rules.perPrincipal;
    const modelRule = own(o?.models, model) ?? this.rules.perModel;
    // Scope prefixes keep the key spaces apart; JSON keeps the pair unambiguous whatever the names hold.
    if (principalRule) out.push({ scope: 'principal', take: { key: `p:${principalId}`, cost, rule: principalRule } });
    if (modelRule) out.push({ scope: 'model', take: { key: `m:${model}`, cost, rule: modelRule } });
    if (this.rules.perPrincipalModel) {
      out.push({
        scope: 'principal-model',
        take: { key: `pm:${JSON.stringify([principalId, model])}`, cost, rule: this.rules.perPrincipalModel },
      });
    }
    return out;
  }
}

function own(record: Readonly<Record<string, BucketRule>> | undefined, key: string): BucketRule | undefined {
  return record !== undefined && Object.hasOwn(record, key) ? record[key] : undefined;
}

function refusal(d: PolicyDecision, cost: number, model: string): ModelGateError {
  const name = SCOPE_NAMES[d.scope ?? 'principal'];
  const message = d.exceedsCapacity
    ? `the request has ${cost} rows but the ${name} rate limit allows at most ${d.limit} at once; split it into smaller requests`
    : `${name} rate limit exceeded${d.scope === 'principal' ? '' : ` for model '${model}'`}; retry in ${d.retryAfterSeconds} s`;
  return new ModelGateError('MG_RATE_LIMITED', message, { retryAfterSeconds: d.retryAfterSeconds });
}
