// DriftMonitor: one per model version. observe() files each request's feature values into the open
// window (O(features), no sorting); a window closes by count or by time (injectable clock) and is judged
// against the baseline; results go to a bounded history and to an optional callback.
import { ModelGateError } from '../../errors.ts';
import { predictionSummaries, type Baseline, type FeatureRow } from '../profile/index.ts';
import { baselineCdf } from './cdf.ts';
import { driftConfigSchema, type DriftConfig, type DriftConfigInput } from './config.ts';
import { evaluateWindow, type MonitoredFeature, type WindowData, type WindowVerdict } from './evaluate.ts';
import { WindowBuffer } from './window.ts';

/** What the model answered for one row. `values` keys match baseline.prediction summaries (e.g. spamProbability). */
export interface PredictionObservation {
  label?: string;
  values?: Readonly<Record<string, number>>;
}

export interface DriftResult extends WindowVerdict {
  /** 1, 2, ... per monitor. */
  window: number;
  rows: number;
  startedAt: number;
  endedAt: number;
  closedBy: 'count' | 'time' | 'flush';
}

export interface DriftStatus {
  /** The latest closed window's result, if any. */
  latest?: DriftResult;
  /** Whether the latest judged window drifted. */
  drifted: boolean;
  open: { rows: number; startedAt: number };
  windowsClosed: number;
}

export interface DriftMonitorOptions {
  baseline: Baseline;
  config?: DriftConfigInput;
  /** Milliseconds since some epoch; Date.now by default. Tests inject their own. */
  now?: () => number;
  onWindow?: (result: DriftResult) => void;
}

/** Prediction features are named `prediction.<key>`; predicted classes are `prediction.class`. */
export const CLASS_FEATURE = 'prediction.class';

export class DriftMonitor {
  readonly config: DriftConfig;
  readonly features: readonly MonitoredFeature[];
  private readonly inputs: { feature: number; key: string }[] = [];
  private readonly predictions: { feature: number; key: string }[] = [];
  private readonly classFeature: number = -1;
  private readonly now: () => number;
  private readonly onWindow?: (result: DriftResult) => void;
  private readonly buffer: WindowBuffer;
  private readonly results: DriftResult[] = [];
  private closed = 0;

  constructor(options: DriftMonitorOptions) {
    const parsed = driftConfigSchema.safeParse(options.config ?? {});
    if (!parsed.success) throw new ModelGateError('MG_CONFIG_INVALID', `drift config: ${parsed.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`).join('; ')}`);
    this.config = parsed.data;
    this.now = options.now ?? Date.now;
    this.onWindow = options.onWindow;
    const wanted = (name: string) => this.config.features === undefined || this.config.features.includes(name);
    const method = (name: string, kind: 'numeric' | 'categorical') => {
      const m = this.config.methods[name] ?? (kind === 'numeric' ? this.config.numericMethod : this.config.categoricalMethod);
      if (kind === 'categorical' && m === 'ks') throw new ModelGateError('MG_CONFIG_INVALID', `drift config: KS needs numbers; ${name} is categorical`);
      return m;
    };
    const features: MonitoredFeature[] = [];
    const numeric = (name: string, key: string, list: { feature: number; key: string }[], summary: Baseline['features'][string]) => {
      if (!wanted(name) || summary.count === 0) return;
      list.push({ feature: features.length, key });
      features.push({ name, kind: 'numeric', method: method(name, 'numeric'), summary, cdf: baselineCdf(summary) });
    };
    for (const [key, summary] of Object.entries(options.baseline.features)) numeric(key, key, this.inputs, summary);
    for (const [key, summary] of Object.entries(predictionSummaries(options.baseline))) {
      numeric(`prediction.${key}`, key, this.predictions, summary);
    }
    const shares = options.baseline.prediction?.classShares?.predicted;
    if (shares !== undefined && wanted(CLASS_FEATURE)) {
      this.classFeature = features.length;
      features.push({ name: CLASS_FEATURE, kind: 'categorical', method: method(CLASS_FEATURE, 'categorical'), shares });
    }
    this.features = features;
    this.buffer = new WindowBuffer(features.length, this.config.windowSize, this.now());
  }

  /** Files one row; closes the window when it is full or its time is up. Cheap: no sort, no allocation. */
  observe(features: FeatureRow, prediction?: PredictionObservation): DriftResult | undefined {
    let result = this.maybeCloseByTime();
    const b = this.buffer;
    for (const { feature, key } of this.inputs) b.push(feature, features[key]);
    if (prediction?.values !== undefined) for (const { feature, key } of this.predictions) b.push(feature, prediction.values[key]);
    if (prediction?.label !== undefined && this.classFeature >= 0) b.countClass(prediction.label);
    b.rows++;
    if (b.full) return this.close('count');
    // A window carried over past its deadline closes as soon as it holds minWindowSize rows.
    if (b.rows === this.config.minWindowSize) result = this.maybeCloseByTime() ?? result;
    return result;
  }

  /** For a timer: closes the window if its time is up (and it has enough rows). */
  tick(): DriftResult | undefined {
    return this.maybeCloseByTime();
  }

  /** Judges the open window now, whatever its size (shutdown, tests); undefined when it is empty. */
  flush(): DriftResult | undefined {
    return this.buffer.rows === 0 ? undefined : this.close('flush');
  }

  current(): DriftStatus {
    const latest = this.results[this.results.length - 1];
    return { latest, drifted: latest?.drifted ?? false, open: { rows: this.buffer.rows, startedAt: this.buffer.startedAt }, windowsClosed: this.closed };
  }

  /** Closed-window results, oldest first, at most config.historySize. */
  history(): readonly DriftResult[] {
    return [...this.results];
  }

  private maybeCloseByTime(): DriftResult | undefined {
    const b = this.buffer;
    if (this.now() - b.startedAt < this.config.windowMs || b.rows < this.config.minWindowSize) return undefined;
    return this.close('time');
  }

  private close(closedBy: DriftResult['closedBy']): DriftResult {
    const b = this.buffer;
    const data: WindowData[] = this.features.map((f, i) =>
      f.kind === 'numeric' ? { kind: 'numeric', sorted: b.sorted(i) } : { kind: 'categorical', counts: new Map(b.classes) },
    );
    const endedAt = this.now();
    const result: DriftResult = {
      window: ++this.closed, rows: b.rows, startedAt: b.startedAt, endedAt, closedBy,
      ...evaluateWindow(this.features, data, this.config),
    };
    b.reset(endedAt);
    this.results.push(result);
    if (this.results.length > this.config.historySize) this.results.shift();
    this.onWindow?.(result);
    return result;
  }
}

/** `values` for observe(): `<label>Probability` per class, the keys the trainer's baseline uses. */
export function predictionObservation(labels: readonly string[], probabilities: ArrayLike<number>, label?: string): PredictionObservation {
  const values: Record<string, number> = {};
  labels.forEach((l, i) => (values[`${l}Probability`] = probabilities[i]));
  return { values, label: label ?? labels[argMax(probabilities)] };
}

function argMax(xs: ArrayLike<number>): number {
  let best = 0;
  for (let i = 1; i < xs.length; i++) if (xs[i] > xs[best]) best = i;
  return best;
}
