// Per model version: the profiler, OOD scorer, drift monitor and feedback tracker built from the
// baseline and metrics its package carries. Built once per version, on its first request; a version
// without a usable baseline is simply not profiled.
import type { Logger } from 'pino';
import type { ServedVersion } from '../runtime/index.ts';
import { DriftMonitor, type DriftConfig, type DriftResult } from './drift/index.ts';
import { FeedbackTracker, referenceFromManifest, type FeedbackConfig, type FeedbackStatus } from './feedback/index.ts';
import { createOodScorer, createProfiler, parseBaseline, type OodConfig, type OodScorer, type Profiler } from './profile/index.ts';

export interface VersionMonitor {
  name: string;
  version: string;
  labels: readonly string[];
  profiler?: Profiler;
  ood?: OodScorer;
  drift?: DriftMonitor;
  feedback?: FeedbackTracker;
}

export interface VersionMonitorsOptions {
  drift: DriftConfig;
  feedback: FeedbackConfig;
  ood: OodConfig;
  driftEnabled: boolean;
  logger: Logger;
  onDrift?: (m: VersionMonitor, result: DriftResult) => void;
  onDecay?: (m: VersionMonitor, status: FeedbackStatus) => void;
  /** The drift windows' clock (tests); default Date.now. */
  now?: () => number;
}

export class VersionMonitors {
  private readonly monitors = new Map<string, VersionMonitor>();

  constructor(private readonly options: VersionMonitorsOptions) {}

  for(v: ServedVersion): VersionMonitor {
    const key = `${v.name}@${v.version}`;
    let m = this.monitors.get(key);
    if (!m) {
      m = this.build(v);
      this.monitors.set(key, m);
    }
    return m;
  }

  /** How old a prediction may be when its label arrives (the feedback settings of every version). */
  get feedbackTtlMs(): number {
    return this.options.feedback.ttlMs;
  }

  get(name: string, version: string): VersionMonitor | undefined {
    return this.monitors.get(`${name}@${version}`);
  }

  /** Monitors of the versions of a model that have served requests. */
  ofModel(name: string): VersionMonitor[] {
    return [...this.monitors.values()].filter((m) => m.name === name);
  }

  all(): VersionMonitor[] {
    return [...this.monitors.values()];
  }

  private build(v: ServedVersion): VersionMonitor {
    const o = this.options;
    const m: VersionMonitor = { name: v.name, version: v.version, labels: v.manifest.labels ?? [] };
    const note = (what: string, err: unknown) =>
      o.logger.warn({ model: v.name, version: v.version }, `${what} disabled: ${err instanceof Error ? err.message : String(err)}`);
    if (v.manifest.baseline) {
      try {
        const baseline = parseBaseline(v.manifest.baseline);
        if (baseline.profile) {
          m.profiler = createProfiler(baseline);
          m.ood = createOodScorer(m.profiler, o.ood);
        }
        if (o.driftEnabled) m.drift = new DriftMonitor({ baseline, config: o.drift, onWindow: (r) => o.onDrift?.(m, r), ...(o.now && { now: o.now }) });
      } catch (err) {
        note('drift and out-of-distribution checks', err);
      }
    }
    if (v.manifest.metrics && m.labels.length > 0) {
      try {
        m.feedback = new FeedbackTracker({ reference: referenceFromManifest(v.manifest.metrics), config: o.feedback, onDecay: (s) => o.onDecay?.(m, s) });
      } catch (err) {
        note('feedback tracking', err);
      }
    }
    return m;
  }
}

