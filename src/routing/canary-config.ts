// Settings of a canary rollout, validated once with zod; every default is explained in docs/rollouts.md.
import { z } from 'zod';
import { ModelGateError } from '../errors.ts';

export const thresholdsSchema = z
  .object({
    maxErrorRateDelta: z.number().min(0).max(1).default(0.01)
      .describe("fail when the candidate's error rate exceeds the stable one by more than this (absolute) and significantly"),
    maxP99Ratio: z.number().min(1).default(1.5).describe('fail when candidate p99 / stable p99 exceeds this ...'),
    minP99DeltaMs: z.number().min(0).default(5).describe('... and the candidate p99 is also slower by more than this many ms'),
    maxDisagreement: z.number().min(0).max(1).default(0.05)
      .describe('fail when the label shares differ by more than this (total variation distance) and significantly'),
    alpha: z.number().gt(0).lt(1).default(0.001).describe('significance level of the error-rate and label-share tests'),
    maxOodShare: z.number().min(0).max(1).default(0.1)
      .describe("fail when more than this share of the candidate's requests at the step were out of distribution (over at least 20 scored requests)"),
  })
  .strict();

export const canaryConfigSchema = z
  .object({
    steps: z.array(z.number().gt(0).max(100)).min(1).max(20).default([5, 25, 50, 100])
      .describe('candidate weight (percent) of each step, strictly increasing'),
    bakeMs: z.number().int().min(0).default(10 * 60 * 1000).describe('minimum time at each step before it may pass'),
    minRequests: z.number().int().min(1).default(200).describe('candidate requests needed at a step before any verdict'),
    thresholds: thresholdsSchema.default(thresholdsSchema.parse({})),
    /** Consult the signals hook (drift, security) at each analysis. */
    useSignals: z.boolean().default(true),
  })
  .strict()
  .refine((c) => c.steps.every((s, i) => i === 0 || s > c.steps[i - 1]), { message: 'steps must be strictly increasing', path: ['steps'] });

export type CanaryConfig = z.infer<typeof canaryConfigSchema>;
export type CanaryConfigInput = z.input<typeof canaryConfigSchema>;
export type Thresholds = z.infer<typeof thresholdsSchema>;

export function parseCanaryConfig(input: unknown): CanaryConfig {
  const parsed = canaryConfigSchema.safeParse(input ?? {});
  if (!parsed.success) {
    throw new ModelGateError('MG_INVALID_REQUEST', `canary config: ${parsed.error.issues.map((i) => `${i.path.join('.') || '(root)'}: ${i.message}`).join('; ')}`);
  }
  return parsed.data;
}
