// What the request path does besides running the model: admission (extraction blocks and throttles,
// rate limits), inspection of the raw inputs (out-of-distribution), and after the answer the
// observers (extraction, drift, feedback) and the output policy that applies to this caller.
import { ModelGateError } from '../errors.ts';
import { predictionObservation } from '../monitoring/drift/index.ts';
import type { FeatureRow } from '../monitoring/profile/index.ts';
import type { VersionMonitor, VersionMonitors } from '../monitoring/version-monitors.ts';
import type { Tensor } from '../protocol/index.ts';
import type { ServedVersion } from '../runtime/index.ts';
import { rowTexts, type ExtractionDetector, type SparseVector } from '../security/extraction/index.ts';
import { createFeatureComputer, featureKey, type FeatureComputer, type FeatureJob, type FeatureOffload, type FeatureSpec, type Features } from './features/index.ts';
import type { OutputPolicy } from '../security/output-policy.ts';
import type { Principal } from '../security/index.ts';
import type { RateLimitPolicy } from '../security/rate-limit/index.ts';

export type OodMode = 'off' | 'record' | 'flag' | 'reject';
/** Spelled as the audit log spells flags: lower-case, dashes. */
export type Flag = 'out-of-distribution' | 'extraction-suspect' | 'degraded-output';

export interface SafeguardEvents {
  /** Inputs out of distribution, with what the model's mode did about them. */
  onOod?(v: ServedVersion, reasons: string[], mode: Exclude<OodMode, 'off'>): void;
}

export interface SafeguardDeps {
  monitors: VersionMonitors;
  rateLimits?: RateLimitPolicy;
  extraction?: ExtractionDetector;
  oodMode: (model: string) => OodMode;
  outputPolicy: (model: string) => OutputPolicy;
  events?: SafeguardEvents;
  /** Computes the text features off the event loop; without it they are computed inline. */
  features?: FeatureOffload;
}

export interface Inspection {
  monitor: VersionMonitor;
  features?: FeatureRow[];
  /** The extraction detector's vectors of the validated rows, when it runs and the inputs are text. */
  vectors?: SparseVector[];
  flags: Flag[];
  /** Flags for the audit record only, not the answer (OOD `record`). */
  recorded: Flag[];
  /** Rows the OOD scorer judged, and how many it found out of distribution (a canary arm counts them). */
  ood?: { scored: number; out: number };
}

export interface Answered {
  policy: OutputPolicy;
  /** Flags of the answer; the audit record also holds `recorded`. */
  flags: Flag[];
  recorded: Flag[];
  /** Per row: the predicted label, when the model has one. */
  labels?: string[];
  /** The version tracks feedback: the labels are worth keeping for a later join (the audit record). */
  feedbackTracked?: boolean;
}

/** The class probabilities among the outputs: the manifest's named output, else a 2-D float tensor. */
export function probabilitiesOf(v: ServedVersion, outputs: readonly Tensor[]): Tensor | undefined {
  return outputs.find((o) => holdsProbabilities(v, o));
}

/** The manifest's named probabilities output, else any 2-D float output (answers and metadata alike). */
function holdsProbabilities(v: ServedVersion, o: { name: string; datatype: string; shape: readonly number[] }): boolean {
  const named = v.manifest.predict?.probabilities;
  return named ? o.name === named : (o.datatype === 'FP32' || o.datatype === 'FP64') && o.shape.length === 2;
}

function labelsOf(v: ServedVersion, outputs: readonly Tensor[], probs: Tensor | undefined): string[] | undefined {
  const named = v.manifest.predict?.label;
  const label = outputs.find((o) => (named ? o.name === named : o.datatype === 'BYTES' && o.shape.length === 1));
  if (label) return label.data as string[];
  if (!probs) return undefined;
  const rows = probs.shape[0];
  const k = probs.shape[1];
  const names = v.manifest.labels ?? [];
  return Array.from({ length: rows }, (_, r) => {
    let best = 0;
    for (let j = 1; j < k; j++) if (Number(probs.data[r * k + j]) > Number(probs.data[r * k + best])) best = j;
    return names[best] ?? String(best);
  });
}

export function createSafeguards(deps: SafeguardDeps) {
  // One feature spec (and key) per version monitor: a reloaded version gets a new monitor.
  const specs = new WeakMap<VersionMonitor, { key: string; spec: FeatureSpec; inline?: FeatureComputer }>();
  const specOf = (monitor: VersionMonitor) => {
    let s = specs.get(monitor);
    if (!s) {
      const profiler = monitor.profiler;
      s = { key: featureKey(), spec: { profile: profiler?.kind === 'text' ? profiler.spec : undefined, vectors: deps.extraction?.featureOptions } };
      specs.set(monitor, s);
    }
    return s;
  };
  const computeFeatures = (monitor: VersionMonitor, job: FeatureJob): Promise<Features> | Features => {
    const s = specOf(monitor);
    if (deps.features) return deps.features.compute(s.key, s.spec, job);
    s.inline ??= createFeatureComputer(s.spec);
    return s.inline(job);
  };

  return {
    /** Before validation: refuses blocked or throttled callers and callers over their rate. */
    async admit(principal: Principal, v: ServedVersion, rows: number): Promise<void> {
      try {
        deps.extraction?.gate(principal.id, v.name, rows);
      } catch (err) {
        if (!(err instanceof ModelGateError)) throw err;
        throw new ModelGateError(err.code, err.message, { retryAfterSeconds: err.retryAfterSeconds, flags: ['extraction-suspect'] });
      }
      await deps.rateLimits?.check(principal.id, v.name, rows);
    },

    /** Before feedback labels are looked up: refuses a principal over its feedback rate. */
    async admitLabels(principal: Principal, labels: number): Promise<void> {
      await deps.rateLimits?.checkLabels(principal.id, labels);
    },

    /** Whether inspect() can refuse the request (OOD `reject`): then it must finish before the model runs. */
    screens(v: ServedVersion): boolean {
      return deps.oodMode(v.name) === 'reject' && deps.monitors.for(v).ood !== undefined;
    },

    /**
     * Profiles the inputs as sent (before normalisation erases evasion evidence) and scores them, and
     * computes the extraction vectors of the validated inputs. Text work runs off the event loop when
     * a feature worker is configured; unless screens() says so, callers run the model meanwhile.
     */
    async inspect(v: ServedVersion, raw: readonly Tensor[], valid: readonly Tensor[]): Promise<Inspection> {
      const monitor = deps.monitors.for(v);
      const out: Inspection = { monitor, flags: [], recorded: [] };
      const profiler = monitor.profiler;
      const mode = deps.oodMode(v.name);
      const scoring = mode !== 'off' && monitor.ood !== undefined;
      // Profiling is the costliest step of this path: skipped when nothing would read the features.
      const input = profiler && (scoring || monitor.drift) ? raw.find((t) => t.name === profiler.input) : undefined;
      const job: FeatureJob = {};
      if (input && profiler?.kind === 'text') job.profile = input.data as string[];
      else if (input && profiler?.kind === 'numeric') out.features = profiler.profileTensor(input.data as ArrayLike<number>, input.shape);
      // The detector observes only answers with class probabilities: no vectors for other models.
      if (deps.extraction && v.outputs.some((o) => holdsProbabilities(v, o))) job.vectors = rowTexts(valid);
      if (job.profile || job.vectors) {
        const f = await computeFeatures(monitor, job);
        if (f.rows) out.features = f.rows;
        if (f.vectors) out.vectors = f.vectors;
      }
      if (!scoring || !monitor.ood || !out.features) return out;
      const reasons = new Set<string>();
      out.ood = { scored: 0, out: 0 };
      for (const row of out.features) {
        const found = monitor.ood.scoreRow(row).reasons;
        for (const r of found) reasons.add(r);
        out.ood.scored++;
        if (found.length > 0) out.ood.out++;
      }
      if (reasons.size === 0) return out;
      deps.events?.onOod?.(v, [...reasons], mode);
      if (mode === 'reject') {
        throw new ModelGateError('MG_INPUT_CONSTRAINT', `the input is out of distribution for this model: ${[...reasons].join('; ')}`, { flags: ['out-of-distribution'] });
      }
      // `record` leaves the answer alone and puts the verdict in the audit log only.
      if (mode === 'flag') out.flags.push('out-of-distribution');
      else out.recorded.push('out-of-distribution');
      return out;
    },

    /** After the answer: feeds the observers and decides the output policy for this caller. */
    answer(principal: Principal, v: ServedVersion, requestId: string, inputs: readonly Tensor[], outputs: readonly Tensor[], seen: Inspection): Answered {
      const flags = [...seen.flags];
      const probs = probabilitiesOf(v, outputs);
      const labels = labelsOf(v, outputs, probs);
      const modelPolicy = deps.outputPolicy(v.name);
      let policy = modelPolicy;
      if (deps.extraction && probs) {
        const result = deps.extraction.observe({ principal: principal.id, model: v.name, inputs, probabilities: probs, ...(seen.vectors && { vectors: seen.vectors }) });
        if (result.level !== 'none') flags.push('extraction-suspect');
        policy = deps.extraction.outputPolicyFor(principal.id, v.name, modelPolicy);
        if (policy.mode !== modelPolicy.mode) flags.push('degraded-output');
      }
      const { drift, feedback } = seen.monitor;
      if (labels) {
        const k = probs?.shape[1] ?? 0;
        labels.forEach((label, r) => {
          if (drift && seen.features?.[r]) {
            const row = probs ? Array.from(probs.data.slice(r * k, (r + 1) * k) as Float32Array, Number) : [];
            drift.observe(seen.features[r], predictionObservation(seen.monitor.labels, row, label));
          }
          feedback?.recordPrediction(labels.length === 1 ? requestId : `${requestId}/${r}`, label, principal.id);
        });
      }
      return { policy, flags, recorded: seen.recorded, labels, feedbackTracked: feedback !== undefined };
    },
  };
}

export type Safeguards = ReturnType<typeof createSafeguards>;
