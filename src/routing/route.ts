// route(): the pure decision of which version answers a request, and which (if any) sees a mirror copy.
// No I/O and no clock: the same policy, context and rng stream always give the same decisions.
import { stickyUnit } from './hash.ts';
import type { AbVariant, Policy, RouteContext, RouteDecision, Rng } from './types.ts';

export function route(policy: Policy, ctx: RouteContext, rng: Rng): RouteDecision {
  switch (policy.kind) {
    case 'single':
      return { primary: { version: policy.version, arm: 'primary' } };
    case 'canary':
      // u < 0 never holds, so weight 0 can never reach the candidate, whatever the rng returns.
      return rng() * 100 < policy.weight
        ? { primary: { version: policy.candidate, arm: 'candidate' } }
        : { primary: { version: policy.stable, arm: 'stable' } };
    case 'blue-green':
      return { primary: { version: policy.active === 'blue' ? policy.blue : policy.green, arm: policy.active } };
    case 'shadow': {
      const primary = { version: policy.primary, arm: 'primary' as const };
      return rng() < policy.sampleRate ? { primary, shadow: { version: policy.shadow, arm: 'shadow' } } : { primary };
    }
    case 'ab': {
      const u = ctx.stickyKey !== undefined && ctx.stickyKey !== '' ? stickyUnit(ctx.endpoint, ctx.stickyKey) : rng();
      const variant = pickVariant(policy.variants, u);
      return { primary: { version: variant.version, arm: `variant:${variant.name}` } };
    }
  }
}

/** Cumulative buckets in declared order: when weights change, only keys whose u falls in a moved
 * stretch of [0, 1) change variant; everyone else keeps theirs. */
export function pickVariant(variants: readonly AbVariant[], u: number): AbVariant {
  const total = variants.reduce((sum, v) => sum + v.weight, 0);
  const target = u * total;
  let cumulative = 0;
  for (const v of variants) {
    cumulative += v.weight;
    if (target < cumulative) return v;
  }
  // Only reachable through rounding at u close to 1: the last variant that takes traffic.
  return [...variants].reverse().find((v) => v.weight > 0) ?? variants[variants.length - 1];
}

/** The header route() wants as stickyKey, when the policy is sticky. */
export function stickyHeaderOf(policy: Policy): string | undefined {
  return policy.kind === 'ab' ? policy.stickyHeader : undefined;
}

/** Every version a policy can send traffic to (primary or shadow): what must stay loaded. */
export function versionsOf(policy: Policy): string[] {
  switch (policy.kind) {
    case 'single':
      return [policy.version];
    case 'canary':
      return unique([policy.stable, policy.candidate]);
    case 'blue-green':
      // Both colours stay loaded and warm: switching back must be instant.
      return unique([policy.blue, policy.green]);
    case 'shadow':
      return unique([policy.primary, policy.shadow]);
    case 'ab':
      return unique(policy.variants.map((v) => v.version));
  }
}

/** Expected share of primary traffic per arm: what the contract suite checks route() against. */
export function expectedShares(policy: Policy): Record<string, number> {
  switch (policy.kind) {
    case 'single':
      return { primary: 1 };
    case 'canary':
      return { stable: 1 - policy.weight / 100, candidate: policy.weight / 100 };
    case 'blue-green':
      return { [policy.active]: 1 };
    case 'shadow':
      return { primary: 1 };
    case 'ab': {
      const total = policy.variants.reduce((sum, v) => sum + v.weight, 0);
      return Object.fromEntries(policy.variants.map((v) => [`variant:${v.name}`, v.weight / total]));
    }
  }
}

function unique(values: string[]): string[] {
  return [...new Set(values)];
}
