// A/B feedback: predictions remembered by request id (bounded, with a TTL on an injectable clock),
// ground-truth labels joined to them later, and the per-variant report with a pooled two-proportion
// z-test of each variant's accuracy against the first (control) variant.
import { twoProportionZTest, type ZTestResult } from './statistics.ts';
import { MAX_LABELS, type ArmSummary } from './stats.ts';
import type { AbVariant } from './types.ts';

export type FeedbackOutcome = 'accepted' | 'unknown' | 'expired' | 'duplicate';

export interface VariantReport {
  name: string;
  arm: string;
  version: string;
  requests: number;
  errors: number;
  errorRate: number;
  p99Ms: number;
  labelled: number;
  /** Null until a label arrives. */
  accuracy: number | null;
  /** For the experiment's positive label; null without one or with a zero denominator. */
  precision: number | null;
  recall: number | null;
  f1: number | null;
}

export interface VariantComparison extends ZTestResult {
  control: string;
  variant: string;
  metric: 'accuracy';
  /** pValue < alpha (0.05 unless the caller says otherwise). */
  significant: boolean;
}

export interface ExperimentReport {
  positiveLabel: string | null;
  variants: VariantReport[];
  comparisons: VariantComparison[];
}

export interface ExperimentFeedbackOptions {
  /** Predictions remembered for labelling, over all endpoints; the oldest go first. */
  capacity?: number;
  /** A label for a prediction older than this is refused as expired. */
  ttlMs?: number;
  now?: () => number;
}

interface Pending {
  arm: string;
  label: string;
  at: number;
  labelled: boolean;
}

class LabelCounts {
  labelled = 0;
  correct = 0;
  readonly predicted = new Map<string, number>();
  readonly truth = new Map<string, number>();
  readonly hits = new Map<string, number>();

  add(predicted: string, truth: string): void {
    this.labelled++;
    bump(this.predicted, predicted);
    bump(this.truth, truth);
    if (predicted === truth) {
      this.correct++;
      bump(this.hits, truth);
    }
  }
}

export class ExperimentFeedback {
  private readonly capacity: number;
  private readonly ttlMs: number;
  private readonly now: () => number;
  private readonly pending = new Map<string, Pending>();
  private readonly counts = new Map<string, Map<string, LabelCounts>>();

  constructor(options: ExperimentFeedbackOptions = {}) {
    this.capacity = options.capacity ?? 100_000;
    this.ttlMs = options.ttlMs ?? 7 * 24 * 3600 * 1000;
    this.now = options.now ?? Date.now;
  }

  recordPrediction(endpoint: string, requestId: string, arm: string, label: string): void {
    const key = `${endpoint}\0${requestId}`;
    this.pending.delete(key);
    this.pending.set(key, { arm, label, at: this.now(), labelled: false });
    if (this.pending.size > this.capacity) this.pending.delete(this.pending.keys().next().value!);
  }

  /** Joins a ground-truth label to the prediction of requestId. Unknown (never seen, or evicted),
   * expired and already-labelled ids change nothing and say so. */
  feedback(endpoint: string, requestId: string, trueLabel: string): FeedbackOutcome {
    const key = `${endpoint}\0${requestId}`;
    const entry = this.pending.get(key);
    if (entry === undefined) return 'unknown';
    if (entry.labelled) return 'duplicate';
    if (this.now() - entry.at > this.ttlMs) {
      this.pending.delete(key);
      return 'expired';
    }
    entry.labelled = true;
    this.armCounts(endpoint, entry.arm).add(entry.label, trueLabel);
    return 'accepted';
  }

  reset(endpoint: string): void {
    this.counts.delete(endpoint);
    const prefix = `${endpoint}\0`;
    for (const key of this.pending.keys()) if (key.startsWith(prefix)) this.pending.delete(key);
  }

  report(endpoint: string, variants: readonly AbVariant[], stats: Readonly<Record<string, ArmSummary>>, positiveLabel?: string, alpha = 0.05): ExperimentReport {
    const rows = variants.map((v): VariantReport => {
      const arm = `variant:${v.name}`;
      const s = stats[arm];
      const c = this.counts.get(endpoint)?.get(arm) ?? new LabelCounts();
      const tp = positiveLabel === undefined ? 0 : c.hits.get(positiveLabel) ?? 0;
      const precision = positiveLabel === undefined ? null : ratio(tp, c.predicted.get(positiveLabel) ?? 0);
      const recall = positiveLabel === undefined ? null : ratio(tp, c.truth.get(positiveLabel) ?? 0);
      const f1 = precision === null || recall === null ? null : precision + recall === 0 ? 0 : (2 * precision * recall) / (precision + recall);
      return {
        name: v.name, arm, version: v.version,
        requests: s?.requests ?? 0, errors: s?.errors ?? 0, errorRate: s?.errorRate ?? 0, p99Ms: s?.p99Ms ?? 0,
        labelled: c.labelled, accuracy: ratio(c.correct, c.labelled), precision, recall, f1,
      };
    });
    const control = rows[0];
    const controlCounts = this.counts.get(endpoint)?.get(control.arm) ?? new LabelCounts();
    const comparisons = rows.slice(1).map((row): VariantComparison => {
      const c = this.counts.get(endpoint)?.get(row.arm) ?? new LabelCounts();
      const test = twoProportionZTest(controlCounts.correct, controlCounts.labelled, c.correct, c.labelled);
      return { control: control.name, variant: row.name, metric: 'accuracy', ...test, significant: test.pValue < alpha };
    });
    return { positiveLabel: positiveLabel ?? null, variants: rows, comparisons };
  }

  private armCounts(endpoint: string, arm: string): LabelCounts {
    let arms = this.counts.get(endpoint);
    if (!arms) this.counts.set(endpoint, (arms = new Map()));
    let c = arms.get(arm);
    if (!c) arms.set(arm, (c = new LabelCounts()));
    return c;
  }
}

function bump(map: Map<string, number>, key: string): void {
  if (!map.has(key) && map.size >= MAX_LABELS) return;
  map.set(key, (map.get(key) ?? 0) + 1);
}

function ratio(a: number, b: number): number | null {
  return b === 0 ? null : a / b;
}
