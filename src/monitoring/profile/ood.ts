// Per-request out-of-distribution flagging against the packaged baseline: Tukey-style fences around the
// training p1..p99 for every feature, and for numeric inputs a diagonal Mahalanobis distance. The server
// applies the model's policy (record, flag, reject); this only returns the verdict and its reasons.
import { z } from 'zod';
import type { FeatureInfo, FeatureRow, Profiler } from './profiler.ts';

export const oodConfigSchema = z
  .object({
    k: z.number().positive().default(3)
      .describe('fence width beyond [p1, p99] in units of the training IQR (Tukey uses 1.5 around the quartiles; 3 around p1/p99 is far out)'),
    distanceThreshold: z.number().positive().default(3)
      .describe('numeric inputs: flag when the RMS z-score over all columns exceeds this'),
    minCount: z.number().int().nonnegative().default(30)
      .describe('ignore features whose baseline summary has fewer values: their quantiles are noise'),
    ignore: z.array(z.string()).default([]).describe('feature names never judged'),
  })
  .strict();
export type OodConfig = z.infer<typeof oodConfigSchema>;
export type OodConfigInput = z.input<typeof oodConfigSchema>;

export interface OodBreach {
  feature: string;
  value: number;
  /** Accepted range [low, high] in the feature's own units. */
  fence: [number, number];
  /** How far outside, in units of the fence's scale (IQR, or the fallbacks). */
  excess: number;
}

export interface OodVerdict {
  flagged: boolean;
  /** Largest breach in scale units (0 when every feature is inside its fence), or the distance ratio. */
  score: number;
  /** Numeric inputs only: sqrt(mean of squared z-scores against the training mean and std). */
  distance?: number;
  breaches: OodBreach[];
  reasons: string[];
}

export interface OodScorer {
  scoreRow(row: FeatureRow): OodVerdict;
}

interface Fence {
  info: FeatureInfo;
  low: number;
  high: number;
  /** The fence in transformed units (log1p for log-scale features), where the comparison happens. */
  lowT: number;
  highT: number;
  scale: number;
}

const MAX_EXCESS = 1e6;

export function createOodScorer(profiler: Profiler, config: OodConfigInput = {}): OodScorer {
  const cfg = oodConfigSchema.parse(config);
  const ignored = new Set(cfg.ignore);
  const fences = profiler.features
    .filter((f) => !ignored.has(f.name) && f.summary.count >= cfg.minCount)
    .map((f) => fenceOf(f, cfg.k));
  const numeric = profiler.kind === 'numeric';
  return {
    scoreRow(row) {
      const breaches: OodBreach[] = [];
      const reasons: string[] = [];
      let score = 0;
      let sumZ2 = 0;
      let dims = 0;
      for (const fence of fences) {
        const { name, summary } = fence.info;
        const value = row[name];
        if (value === undefined || Number.isNaN(value)) continue; // undefined for this row (e.g. no token)
        if (!Number.isFinite(value)) {
          breaches.push({ feature: name, value, fence: [fence.low, fence.high], excess: MAX_EXCESS });
          reasons.push(`${name} is not finite`);
          score = MAX_EXCESS;
          continue;
        }
        const t = transform(value, fence.info.scale);
        const excess = Math.max(fence.lowT - t, t - fence.highT, 0) / fence.scale;
        if (excess > 0) {
          const high = t > fence.highT;
          const capped = Math.min(excess, MAX_EXCESS);
          breaches.push({ feature: name, value, fence: [fence.low, fence.high], excess: capped });
          reasons.push(`${name} ${fmt(value)} ${high ? 'above' : 'below'} the baseline range ` +
            `[${fmt(fence.low)}, ${fmt(fence.high)}] (training p1 ${fmt(summary.quantiles.p1)}, p99 ${fmt(summary.quantiles.p99)})`);
          score = Math.max(score, capped);
        }
        if (numeric && summary.std > 0) {
          sumZ2 += ((value - summary.mean) / summary.std) ** 2;
          dims++;
        }
      }
      const verdict: OodVerdict = { flagged: breaches.length > 0, score, breaches, reasons };
      if (numeric) {
        const distance = dims === 0 ? 0 : Math.sqrt(sumZ2 / dims);
        verdict.distance = distance;
        if (distance > cfg.distanceThreshold) {
          verdict.flagged = true;
          verdict.score = Math.max(score, distance / cfg.distanceThreshold);
          reasons.push(`distance ${fmt(distance)} from the training mean (RMS z-score) above ${cfg.distanceThreshold}`);
        }
      }
      return verdict;
    },
  };
}

/**
 * Fences [p1 - k*s, p99 + k*s], s the IQR; when the quartiles coincide (a share that is almost always 0),
 * s falls back to p99 - p1, then the standard deviation, so a feature that never varied in training
 * flags any value other than its constant. Log-scale features are fenced on log1p of the value.
 */
function fenceOf(info: FeatureInfo, k: number): Fence {
  const q = info.summary.quantiles;
  const t = (x: number) => transform(x, info.scale);
  const iqr = t(q.p75) - t(q.p25);
  const spread = t(q.p99) - t(q.p1);
  const std = info.scale === 'log' ? 0 : info.summary.std;
  const scale = iqr > 0 ? iqr : spread > 0 ? spread : std > 0 ? std : 1e-9 * Math.max(1, Math.abs(t(q.p50)));
  const lowT = t(q.p1) - k * scale;
  const highT = t(q.p99) + k * scale;
  return { info, scale, lowT, highT, low: untransform(lowT, info.scale), high: untransform(highT, info.scale) };
}

function transform(x: number, scale: FeatureInfo['scale']): number {
  return scale === 'log' ? Math.log1p(Math.max(x, 0)) : x;
}

function untransform(x: number, scale: FeatureInfo['scale']): number {
  return scale === 'log' ? Math.expm1(x) : x;
}

function fmt(x: number): string {
  return Number.isInteger(x) ? String(x) : Number(x.toPrecision(3)).toString();
}
