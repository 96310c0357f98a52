// Outcome statistics per endpoint and arm, fed by the dataplane after every answer: requests, errors,
// a latency sketch, label counts, and for shadow traffic the agreement with the primary on the same
// request. Memory is bounded: fixed sketches, capped label sets, a capped table of unpaired answers.
import { LatencySketch } from './sketch.ts';
import type { Arm } from './types.ts';

export interface Outcome {
  ok: boolean;
  latencyMs: number;
  /** The predicted label, when the model has one (classifiers). */
  label?: string;
  /** The request id of a primary answer whose request was mirrored, so its shadow can be paired. */
  requestId?: string;
  /** On a shadow answer: the request id of the primary it mirrors. */
  shadowOf?: string;
  /** 1 when the OOD scorer judged the request, and 1 when any of its rows was out of distribution. */
  oodScored?: number;
  oodOut?: number;
}

export interface ArmSummary {
  requests: number;
  errors: number;
  errorRate: number;
  p50Ms: number;
  p99Ms: number;
  labels: Record<string, number>;
  /** Shadow arm only: requests answered by both sides with a label, and the share that agreed. */
  compared?: number;
  agreementRate?: number;
  /** Requests of the arm the OOD scorer judged, and the share with an out-of-distribution row (when any). */
  oodScored: number;
  oodShare?: number;
}

export interface ArmStatsJson {
  requests: number;
  errors: number;
  latency: ReturnType<LatencySketch['toJSON']>;
  labels: Record<string, number>;
  compared: number;
  agreed: number;
  /** Absent in statistics saved before OOD counts were kept. */
  oodScored?: number;
  oodOut?: number;
}

/** Labels beyond this many distinct ones are counted together: a model emitting free text must not
 * grow the table without end. */
export const MAX_LABELS = 256;
export const OTHER_LABEL = '(other)';

export class ArmStats {
  requests = 0;
  errors = 0;
  latency = new LatencySketch();
  readonly labels = new Map<string, number>();
  compared = 0;
  agreed = 0;
  oodScored = 0;
  oodOut = 0;

  add(outcome: Outcome): void {
    this.requests++;
    this.oodScored += outcome.oodScored ?? 0;
    this.oodOut += outcome.oodOut ?? 0;
    if (!outcome.ok) this.errors++;
    this.latency.add(outcome.latencyMs);
    if (outcome.ok && outcome.label !== undefined) {
      const label = this.labels.has(outcome.label) || this.labels.size < MAX_LABELS ? outcome.label : OTHER_LABEL;
      this.labels.set(label, (this.labels.get(label) ?? 0) + 1);
    }
  }

  /** Adds another replica's counts of the same arm (labels beyond MAX_LABELS fold into OTHER_LABEL). */
  merge(other: ArmStats): void {
    this.requests += other.requests;
    this.errors += other.errors;
    this.latency.merge(other.latency);
    for (const [l, n] of other.labels) {
      const label = this.labels.has(l) || this.labels.size < MAX_LABELS ? l : OTHER_LABEL;
      this.labels.set(label, (this.labels.get(label) ?? 0) + n);
    }
    this.compared += other.compared;
    this.agreed += other.agreed;
    this.oodScored += other.oodScored;
    this.oodOut += other.oodOut;
  }

  summary(): ArmSummary {
    const out: ArmSummary = {
      requests: this.requests,
      errors: this.errors,
      errorRate: this.requests === 0 ? 0 : this.errors / this.requests,
      p50Ms: this.latency.quantile(0.5),
      p99Ms: this.latency.quantile(0.99),
      labels: Object.fromEntries(this.labels),
      oodScored: this.oodScored,
      ...(this.oodScored > 0 && { oodShare: this.oodOut / this.oodScored }),
    };
    if (this.compared > 0) {
      out.compared = this.compared;
      out.agreementRate = this.agreed / this.compared;
    }
    return out;
  }

  toJSON(): ArmStatsJson {
    return {
      requests: this.requests, errors: this.errors, latency: this.latency.toJSON(), labels: Object.fromEntries(this.labels),
      compared: this.compared, agreed: this.agreed, oodScored: this.oodScored, oodOut: this.oodOut,
    };
  }

  static fromJSON(json: ArmStatsJson): ArmStats {
    const stats = new ArmStats();
    stats.requests = json.requests;
    stats.errors = json.errors;
    stats.latency = LatencySketch.fromJSON(json.latency);
    for (const [label, count] of Object.entries(json.labels)) stats.labels.set(label, count);
    stats.compared = json.compared;
    stats.agreed = json.agreed;
    stats.oodScored = json.oodScored ?? 0;
    stats.oodOut = json.oodOut ?? 0;
    return stats;
  }
}

export type StatsSnapshot = Record<string, ArmStatsJson>;

/** The sum of several replicas' snapshots of one step, arm by arm. */
export function mergeSnapshots(snapshots: readonly StatsSnapshot[]): StatsSnapshot {
  const arms = new Map<string, ArmStats>();
  for (const snapshot of snapshots) {
    for (const [arm, json] of Object.entries(snapshot)) {
      const stats = ArmStats.fromJSON(json);
      const into = arms.get(arm);
      if (into) into.merge(stats);
      else arms.set(arm, stats);
    }
  }
  return Object.fromEntries([...arms].map(([arm, s]) => [arm, s.toJSON()]));
}

/** The summary of every arm of a snapshot. */
export function summarize(snapshot: StatsSnapshot): Record<string, ArmSummary> {
  return Object.fromEntries(Object.entries(snapshot).map(([arm, json]) => [arm, ArmStats.fromJSON(json).summary()]));
}

interface Unpaired {
  side: 'primary' | 'shadow';
  ok: boolean;
  label?: string;
}

export interface OutcomeStatsOptions {
  /** Answers waiting for their other half (primary or shadow); the oldest are dropped first. */
  pairCapacity?: number;
}

export class OutcomeStats {
  private readonly arms = new Map<string, Map<string, ArmStats>>();
  // Insertion order is arrival order, so eviction of the oldest is O(1).
  private readonly unpaired = new Map<string, Unpaired>();
  private readonly pairCapacity: number;

  constructor(options: OutcomeStatsOptions = {}) {
    this.pairCapacity = options.pairCapacity ?? 10_000;
  }

  observe(endpoint: string, arm: Arm, outcome: Outcome): void {
    this.armStats(endpoint, arm).add(outcome);
    if (arm === 'shadow' && outcome.shadowOf !== undefined) this.pair(endpoint, outcome.shadowOf, { side: 'shadow', ok: outcome.ok, label: outcome.label });
    else if (arm !== 'shadow' && outcome.requestId !== undefined) this.pair(endpoint, outcome.requestId, { side: 'primary', ok: outcome.ok, label: outcome.label });
  }

  /** The live stats of one arm (created empty on first use). */
  armStats(endpoint: string, arm: string): ArmStats {
    let arms = this.arms.get(endpoint);
    if (!arms) this.arms.set(endpoint, (arms = new Map()));
    let stats = arms.get(arm);
    if (!stats) arms.set(arm, (stats = new ArmStats()));
    return stats;
  }

  summary(endpoint: string): Record<string, ArmSummary> {
    const arms = this.arms.get(endpoint);
    return arms ? Object.fromEntries([...arms].map(([arm, s]) => [arm, s.summary()])) : {};
  }

  /** Forgets an endpoint's counts: at each canary step, and when a rollout ends. */
  reset(endpoint: string): void {
    this.arms.delete(endpoint);
    const prefix = `${endpoint}\0`;
    for (const key of this.unpaired.keys()) if (key.startsWith(prefix)) this.unpaired.delete(key);
  }

  snapshot(endpoint: string): StatsSnapshot {
    const arms = this.arms.get(endpoint);
    return arms ? Object.fromEntries([...arms].map(([arm, s]) => [arm, s.toJSON()])) : {};
  }

  private pair(endpoint: string, requestId: string, answer: Unpaired): void {
    const key = `${endpoint}\0${requestId}`;
    const other = this.unpaired.get(key);
    if (other === undefined || other.side === answer.side) {
      this.unpaired.delete(key);
      this.unpaired.set(key, answer);
      if (this.unpaired.size > this.pairCapacity) this.unpaired.delete(this.unpaired.keys().next().value!);
      return;
    }
    this.unpaired.delete(key);
    // Only answers with a label on both sides are comparable; a failed shadow counts as an error, not a disagreement.
    if (!answer.ok || !other.ok || answer.label === undefined || other.label === undefined) return;
    const shadow = this.armStats(endpoint, 'shadow');
    shadow.compared++;
    if (answer.label === other.label) shadow.agreed++;
  }
}
