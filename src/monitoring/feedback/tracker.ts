// FeedbackTracker: one per model version. Remembers predictions by request id (bounded, with a TTL on an
// injectable clock), takes ground-truth labels later, keeps rolling metrics over the last windowSize
// labels and raises a decay signal when one falls too far below the manifest's validation metrics.
import { ModelGateError } from '../../errors.ts';
import { feedbackConfigSchema, type FeedbackConfig, type FeedbackConfigInput, type FeedbackMetric, type ReferenceMetrics } from './config.ts';
import { Confusion } from './confusion.ts';

export type LabelOutcome = 'accepted' | 'unknown' | 'expired' | 'duplicate';

export interface BatchOutcome {
  accepted: number;
  unknown: string[];
  expired: string[];
  duplicate: string[];
}

export interface MetricDrop {
  metric: FeedbackMetric;
  reference: number;
  current: number;
  drop: number;
}

export interface FeedbackStatus {
  /** Labels in the rolling window (at most windowSize). */
  labelled: number;
  /** Labels accepted since start. */
  totalLabelled: number;
  metrics: Record<FeedbackMetric, number>;
  reference: ReferenceMetrics;
  /** Metrics below the reference by more than maxDrop; empty before minLabelled labels. */
  drops: MetricDrop[];
  /** False until the window holds minLabelled labels. */
  judged: boolean;
  decayed: boolean;
}

export interface WindowSnapshot {
  window: number;
  endedAt: number;
  metrics: Record<FeedbackMetric, number>;
  decayed: boolean;
}

export interface FeedbackTrackerOptions {
  reference: ReferenceMetrics;
  config?: FeedbackConfigInput;
  now?: () => number;
  /** Called when the verdict turns from healthy to decayed (not on every label while it stays decayed). */
  onDecay?: (status: FeedbackStatus) => void;
}

interface Pending {
  label: string;
  at: number;
  labelled: boolean;
  /** Who asked: only they (or an admin) may label it (checked by the caller). */
  principal?: string;
}

export class FeedbackTracker {
  readonly config: FeedbackConfig;
  private readonly reference: ReferenceMetrics;
  private readonly now: () => number;
  private readonly onDecay?: (status: FeedbackStatus) => void;
  // Insertion order is arrival order, so the first key is always the oldest: eviction is O(1).
  private readonly pending = new Map<string, Pending>();
  private readonly ring: { predicted: string; truth: string }[] = [];
  private ringStart = 0;
  private readonly confusion: Confusion;
  private readonly tumbling: Confusion;
  private readonly snapshots: WindowSnapshot[] = [];
  private total = 0;
  private wasDecayed = false;

  constructor(options: FeedbackTrackerOptions) {
    const parsed = feedbackConfigSchema.safeParse(options.config ?? {});
    if (!parsed.success) throw new ModelGateError('MG_CONFIG_INVALID', `feedback config: ${parsed.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`).join('; ')}`);
    this.config = parsed.data;
    this.reference = options.reference;
    this.now = options.now ?? Date.now;
    this.onDecay = options.onDecay;
    this.confusion = new Confusion(options.reference.positiveLabel);
    this.tumbling = new Confusion(options.reference.positiveLabel);
  }

  /** Remembers what the model answered; a request id seen before is a conflict (ids must be unique). */
  recordPrediction(requestId: string, label: string, principal?: string): void {
    if (this.pending.has(requestId)) throw new ModelGateError('MG_CONFLICT', `request id '${requestId}' already has a prediction`);
    this.pending.set(requestId, { label, at: this.now(), labelled: false, ...(principal !== undefined && { principal }) });
    if (this.pending.size > this.config.capacity) this.pending.delete(this.pending.keys().next().value!);
  }

  /** The prediction remembered for a request id (absent: never seen here, or evicted). */
  prediction(requestId: string): { label: string; at: number; labelled: boolean; principal?: string } | undefined {
    const e = this.pending.get(requestId);
    return e && { ...e };
  }

  /** Whether a prediction made at `at` (epoch ms) is too old to be labelled (an unknown time is). */
  isExpired(at: number): boolean {
    return !(this.now() - at <= this.config.ttlMs);
  }

  /** Marks a remembered prediction labelled (another replica counted its label). */
  markLabelled(requestId: string): void {
    const entry = this.pending.get(requestId);
    if (entry) entry.labelled = true;
  }

  /**
   * Counts a label whose prediction was resolved by the caller: remembered here, or answered by
   * another replica or before a restart (the audit log says what). The caller has checked expiry and
   * that the id is labelled only once; a remembered entry is marked labelled.
   */
  addResolvedLabel(requestId: string, predicted: string, truth: string): void {
    const entry = this.pending.get(requestId);
    if (entry) entry.labelled = true;
    this.push(predicted, truth);
  }

  /** One ground-truth label. Unknown (never seen or evicted), expired and already-labelled ids are refused. */
  addLabel(requestId: string, truth: string): LabelOutcome {
    const entry = this.pending.get(requestId);
    if (entry === undefined) return 'unknown';
    if (entry.labelled) return 'duplicate';
    if (this.isExpired(entry.at)) {
      this.pending.delete(requestId);
      return 'expired';
    }
    this.addResolvedLabel(requestId, entry.label, truth);
    return 'accepted';
  }

  addLabels(items: readonly { requestId: string; label: string }[]): BatchOutcome {
    const out: BatchOutcome = { accepted: 0, unknown: [], expired: [], duplicate: [] };
    for (const { requestId, label } of items) {
      const outcome = this.addLabel(requestId, label);
      if (outcome === 'accepted') out.accepted++;
      else out[outcome].push(requestId);
    }
    return out;
  }

  current(): FeedbackStatus {
    const metrics = this.confusion.metrics();
    const labelled = this.confusion.total;
    const judged = labelled >= this.config.minLabelled;
    const drops: MetricDrop[] = [];
    // Hysteresis: a decayed verdict clears only once every metric is back within half the allowed
    // drop, so a metric hovering at the threshold gives one decay signal, not one per crossing.
    // `drops` always lists the metrics beyond maxDrop itself.
    let recovering = false;
    if (judged) {
      for (const metric of this.config.metrics) {
        const reference = this.reference[metric];
        if (reference === undefined) continue;
        const drop = reference - metrics[metric];
        if (drop > this.config.maxDrop) drops.push({ metric, reference, current: metrics[metric], drop });
        else if (drop > this.config.maxDrop / 2) recovering = true;
      }
    }
    const decayed = drops.length > 0 || (judged && this.wasDecayed && recovering);
    return { labelled, totalLabelled: this.total, metrics, reference: this.reference, drops, judged, decayed };
  }

  /** Metrics of each completed block of windowSize labels, oldest first (bounded by historySize). */
  history(): readonly WindowSnapshot[] {
    return [...this.snapshots];
  }

  private push(predicted: string, truth: string): void {
    this.total++;
    const size = this.config.windowSize;
    if (this.ring.length < size) this.ring.push({ predicted, truth });
    else {
      const old = this.ring[this.ringStart];
      this.confusion.update(old.predicted, old.truth, -1);
      this.ring[this.ringStart] = { predicted, truth };
      this.ringStart = (this.ringStart + 1) % size;
    }
    this.confusion.update(predicted, truth, 1);
    this.tumbling.update(predicted, truth, 1);
    const status = this.current();
    if (this.tumbling.total >= size) {
      this.snapshots.push({ window: this.total / size, endedAt: this.now(), metrics: this.tumbling.metrics(), decayed: status.decayed });
      if (this.snapshots.length > this.config.historySize) this.snapshots.shift();
      this.tumbling.reset();
    }
    if (status.decayed && !this.wasDecayed) this.onDecay?.(status);
    this.wasDecayed = status.decayed;
  }
}
