// The baseline a manifest carries (format in docs/spam-filter.md, "Baseline format"), parsed once into
// typed summaries so the profiler, the OOD scorer and the drift monitor never re-check shapes.
import { z } from 'zod';
import { ModelGateError } from '../../errors.ts';

export const BASELINE_FORMAT = 'modelgate.baseline.v1';
/** The quantile keys every summary carries, in order, with the probability each stands for. */
export const QUANTILE_KEYS = ['p1', 'p5', 'p10', 'p25', 'p50', 'p75', 'p90', 'p95', 'p99'] as const;
export const QUANTILE_LEVELS = [0.01, 0.05, 0.1, 0.25, 0.5, 0.75, 0.9, 0.95, 0.99] as const;

const finite = z.number().refine(Number.isFinite, 'must be a finite number');

export const summarySchema = z
  .object({
    count: z.number().int().nonnegative(),
    mean: finite,
    std: finite.refine((x) => x >= 0, 'must not be negative'),
    min: finite,
    max: finite,
    quantiles: z.object(Object.fromEntries(QUANTILE_KEYS.map((k) => [k, finite])) as Record<(typeof QUANTILE_KEYS)[number], typeof finite>),
    /** Optional: quantiles at 0%, 1%, ..., 100%, for a CDF accurate to 1% (KS). */
    percentiles: z.array(finite).length(101).optional(),
    histogram: z.object({
      edges: z.array(finite).min(2).max(1000),
      counts: z.array(z.number().int().nonnegative()),
    }),
  })
  .refine((s) => s.histogram.counts.length === s.histogram.edges.length - 1, 'histogram needs one count per bin')
  .refine((s) => s.histogram.edges.every((e, i, a) => i === 0 || a[i - 1] < e), 'histogram edges must increase')
  .refine((s) => (s.percentiles ?? []).every((e, i, a) => i === 0 || a[i - 1] <= e), 'percentiles must not decrease');
export type Summary = z.infer<typeof summarySchema>;

const shares = z.record(z.string().min(1), finite.refine((x) => x >= 0 && x <= 1, 'a share lies in [0, 1]'));

const textProfileSchema = z.object({
  kind: z.literal('text'),
  input: z.string().min(1),
  lowercase: z.boolean().default(false),
  truncateAtNul: z.boolean().default(false),
  tokenPattern: z.string().min(1).max(1000),
  vocabulary: z.array(z.string()).max(10_000_000),
});
const numericProfileSchema = z.object({ kind: z.literal('numeric'), input: z.string().min(1) });
export type TextProfileSpec = z.infer<typeof textProfileSchema>;
export type NumericProfileSpec = z.infer<typeof numericProfileSchema>;

export const baselineSchema = z.object({
  format: z.literal(BASELINE_FORMAT),
  computedOn: z.string().optional(),
  count: z.number().int().nonnegative(),
  features: z.record(z.string().min(1), summarySchema),
  prediction: z
    .object({ classShares: z.object({ labelled: shares.optional(), predicted: shares.optional() }).optional() })
    .catchall(summarySchema)
    .optional(),
  profile: z.discriminatedUnion('kind', [textProfileSchema, numericProfileSchema]).optional(),
});
export type Baseline = z.infer<typeof baselineSchema>;

/** Parses `manifest.baseline`; a malformed baseline is a package problem, named with its JSON path. */
export function parseBaseline(value: unknown, where = 'baseline'): Baseline {
  const result = baselineSchema.safeParse(value);
  if (!result.success) {
    const problems = result.error.issues.map((i) => `${i.path.join('.') || '(root)'}: ${i.message}`).join('; ');
    throw new ModelGateError('MG_PACKAGE_INVALID', `${where} is invalid: ${problems}`);
  }
  return result.data;
}

/** Numeric prediction summaries (e.g. spamProbability), without the classShares entry. */
export function predictionSummaries(baseline: Baseline): Record<string, Summary> {
  const out: Record<string, Summary> = {};
  for (const [key, value] of Object.entries(baseline.prediction ?? {})) {
    if (key !== 'classShares' && value !== undefined) out[key] = value as Summary;
  }
  return out;
}

/**
 * The bin of x with the baseline's rule: counts[i] holds [edges[i], edges[i+1]); values below the first
 * edge go to the first bin, values at or above the last edge to the last. Binary search: O(log bins).
 */
export function binOf(x: number, edges: readonly number[]): number {
  const last = edges.length - 2;
  if (x < edges[1]) return 0;
  if (x >= edges[last]) return last;
  let lo = 1;
  let hi = last;
  while (lo < hi) {
    const mid = (lo + hi + 1) >> 1;
    if (edges[mid] <= x) lo = mid;
    else hi = mid - 1;
  }
  return lo;
}
