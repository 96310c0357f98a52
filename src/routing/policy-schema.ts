// Validation of policies as they arrive from the admin API or the store: one zod schema per kind, and
// the cross-field rules a schema cannot say (distinct versions, weights that add up to something).
import { z } from 'zod';
import { ModelGateError } from '../errors.ts';
import type { Policy } from './types.ts';

const version = z.string().min(1).max(128);
const VARIANT_NAME = /^[a-z0-9][a-z0-9_-]{0,31}$/;
const HEADER_NAME = /^[a-z0-9!#$%&'*+.^_`|~-]{1,64}$/;

export const policySchema = z.discriminatedUnion('kind', [
  z.object({ kind: z.literal('single'), version }).strict(),
  z.object({ kind: z.literal('canary'), stable: version, candidate: version, weight: z.number().min(0).max(100) }).strict(),
  z.object({ kind: z.literal('blue-green'), blue: version, green: version, active: z.enum(['blue', 'green']) }).strict(),
  z.object({ kind: z.literal('shadow'), primary: version, shadow: version, sampleRate: z.number().min(0).max(1) }).strict(),
  z
    .object({
      kind: z.literal('ab'),
      variants: z
        .array(z.object({ name: z.string().regex(VARIANT_NAME), version, weight: z.number().min(0).max(1_000_000) }).strict())
        .min(2)
        .max(16),
      stickyHeader: z.string().transform((s) => s.toLowerCase()).pipe(z.string().regex(HEADER_NAME)).default('x-user-id'),
    })
    .strict(),
]);

export type PolicyInput = z.input<typeof policySchema>;

/** Parses and checks a policy; MG_INVALID_REQUEST naming every problem. */
export function parsePolicy(input: unknown): Policy {
  const parsed = policySchema.safeParse(input);
  if (!parsed.success) {
    throw new ModelGateError('MG_INVALID_REQUEST', `policy: ${parsed.error.issues.map((i) => `${i.path.join('.') || '(root)'}: ${i.message}`).join('; ')}`);
  }
  const policy = parsed.data as Policy;
  const problem = crossCheck(policy);
  if (problem) throw new ModelGateError('MG_INVALID_REQUEST', `policy: ${problem}`);
  return policy;
}

function crossCheck(policy: Policy): string | undefined {
  switch (policy.kind) {
    case 'canary':
      return policy.stable === policy.candidate ? 'stable and candidate must be different versions' : undefined;
    case 'blue-green':
      return policy.blue === policy.green ? 'blue and green must be different versions' : undefined;
    case 'shadow':
      // Mirroring a version to itself measures nothing and doubles its load.
      return policy.primary === policy.shadow ? 'primary and shadow must be different versions' : undefined;
    case 'ab': {
      const names = policy.variants.map((v) => v.name);
      if (new Set(names).size !== names.length) return 'variant names must be unique';
      if (policy.variants.every((v) => v.weight === 0)) return 'at least one variant needs a weight above 0';
      return undefined;
    }
    default:
      return undefined;
  }
}
