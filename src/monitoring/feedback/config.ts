// Settings of a FeedbackTracker and the reference metrics it compares with (the manifest's held-out
// validation metrics), validated once with zod.
import { z } from 'zod';
import { ModelGateError } from '../../errors.ts';

export const FEEDBACK_METRICS = ['accuracy', 'precision', 'recall', 'f1'] as const;
export type FeedbackMetric = (typeof FEEDBACK_METRICS)[number];

export const feedbackConfigSchema = z
  .object({
    capacity: z.number().int().min(1).max(10_000_000).default(100_000)
      .describe('predictions remembered for labelling; the oldest go first'),
    ttlMs: z.number().int().positive().default(7 * 24 * 3600 * 1000)
      .describe('a label for a prediction older than this is refused as expired (labels come late: abuse reports)'),
    windowSize: z.number().int().min(10).default(500).describe('labelled predictions in the rolling window'),
    minLabelled: z.number().int().min(1).default(200)
      .describe('no verdict before this many labels in the window: at 200, a 0.95 accuracy has a standard error of about 0.015'),
    maxDrop: z.number().positive().max(1).default(0.05).describe('decay when a metric falls more than this below the reference (absolute)'),
    metrics: z.array(z.enum(FEEDBACK_METRICS)).min(1).default([...FEEDBACK_METRICS]).describe('metrics judged'),
    historySize: z.number().int().min(1).default(100).describe('tumbling-window snapshots kept'),
  })
  .strict();
export type FeedbackConfig = z.infer<typeof feedbackConfigSchema>;
export type FeedbackConfigInput = z.input<typeof feedbackConfigSchema>;

export interface ReferenceMetrics {
  positiveLabel: string;
  accuracy?: number;
  precision?: number;
  recall?: number;
  f1?: number;
}

const referenceSchema = z.object({
  positiveLabel: z.string().min(1),
  accuracy: z.number().min(0).max(1).optional(),
  precision: z.number().min(0).max(1).optional(),
  recall: z.number().min(0).max(1).optional(),
  f1: z.number().min(0).max(1).optional(),
});

/** Reads the reference from `manifest.metrics` (extra keys ignored); it must name the positive label. */
export function referenceFromManifest(metrics: unknown): ReferenceMetrics {
  const parsed = referenceSchema.safeParse(metrics);
  if (!parsed.success) {
    throw new ModelGateError('MG_PACKAGE_INVALID', `manifest metrics: ${parsed.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`).join('; ')}`);
  }
  return parsed.data;
}
