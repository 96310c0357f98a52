// Settings of a DriftMonitor, validated once with zod. Every default is explained in docs/drift.md; in
// short they follow Alibi Detect (KS per feature, Bonferroni, alpha 0.05) and Evidently (PSI 0.25 / JS 0.1).
import { z } from 'zod';

export const NUMERIC_METHODS = ['ks', 'psi', 'jsd'] as const;
export const CATEGORICAL_METHODS = ['chi2', 'psi', 'jsd'] as const;
export type NumericMethod = (typeof NUMERIC_METHODS)[number];
export type CategoricalMethod = (typeof CATEGORICAL_METHODS)[number];
export type DriftMethod = NumericMethod | CategoricalMethod;

export const driftConfigSchema = z
  .object({
    windowSize: z.number().int().min(10).max(1_000_000).default(500)
      .describe('a window closes after this many rows; 500 gives KS a critical D of about 0.08 at the corrected level'),
    windowMs: z.number().int().positive().default(300_000)
      .describe('a window also closes after this long (ms), so a quiet model is still judged'),
    minWindowSize: z.number().int().min(1).default(100)
      .describe('a window closed by time with fewer rows is not judged; its rows carry into the next one'),
    historySize: z.number().int().min(1).max(100_000).default(288)
      .describe('closed-window results kept (288 five-minute windows = one day)'),
    numericMethod: z.enum(NUMERIC_METHODS).default('ks').describe('verdict for numeric features'),
    categoricalMethod: z.enum(CATEGORICAL_METHODS).default('chi2').describe('verdict for predicted classes'),
    methods: z.record(z.string(), z.enum([...NUMERIC_METHODS, 'chi2'])).default({})
      .describe('per-feature override of the method, by feature name'),
    alpha: z.number().gt(0).lt(1).default(0.05).describe('family-wise significance level of the p-value tests'),
    correction: z.enum(['bonferroni', 'holm', 'none']).default('bonferroni')
      .describe('multiple-testing correction across the p-value tests of one window'),
    psiThreshold: z.number().positive().default(0.25).describe('PSI above this is drift (0.1 moderate, 0.25 significant)'),
    jsdThreshold: z.number().positive().max(1).default(0.1).describe('Jensen-Shannon distance (base 2) above this is drift'),
    overall: z.enum(['any', 'share']).default('any')
      .describe("'any': one drifted feature flags the window (the correction keeps that honest); 'share': at least driftShare of them"),
    driftShare: z.number().gt(0).max(1).default(0.5).describe("share of drifted features for overall 'share'"),
    features: z.array(z.string()).optional().describe('only these feature names (default: every baseline feature and prediction)'),
  })
  .strict();
export type DriftConfig = z.infer<typeof driftConfigSchema>;
export type DriftConfigInput = z.input<typeof driftConfigSchema>;
