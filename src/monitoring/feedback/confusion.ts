// Binary confusion counts for one positive label, updated one pair at a time (add and remove), and the
// metrics derived from them. Zero denominators give 0, as scikit-learn's zero_division=0.
import type { FeedbackMetric } from './config.ts';

export class Confusion {
  tp = 0;
  fp = 0;
  tn = 0;
  fn = 0;
  /** Exact matches: for a multi-class model two different negative labels are a miss, not a tn hit. */
  correct = 0;

  constructor(readonly positive: string) {}

  update(predicted: string, truth: string, delta: 1 | -1): void {
    const p = predicted === this.positive;
    const t = truth === this.positive;
    if (p && t) this.tp += delta;
    else if (p) this.fp += delta;
    else if (t) this.fn += delta;
    else this.tn += delta;
    if (predicted === truth) this.correct += delta;
  }

  reset(): void {
    this.tp = this.fp = this.tn = this.fn = this.correct = 0;
  }

  get total(): number {
    return this.tp + this.fp + this.tn + this.fn;
  }

  metrics(): Record<FeedbackMetric, number> {
    const { tp, fp, fn, total } = this;
    const ratio = (a: number, b: number) => (b === 0 ? 0 : a / b);
    const precision = ratio(tp, tp + fp);
    const recall = ratio(tp, tp + fn);
    return { accuracy: ratio(this.correct, total), precision, recall, f1: ratio(2 * precision * recall, precision + recall) };
  }
}
