// What the request path does besides running the model: admission (extraction blocks and throttles,
// rate limits), inspection of the raw inputs (out-of-distribution), and after the answer the
// observers (extraction, drift, feedback) and the output policy that applies to this caller.
import { ModelGateError } from '../errors.ts';
import { predictionObservation } from '../monitoring/drift/index.ts';
import type { FeatureRow } from '../monitoring/profile/index.ts';
import type { VersionMonitor, VersionMonitors } from '../monitoring/version-monitors.ts';
import type { Tensor } from '../protocol/index.ts';
import type { ServedVersion } from '../runtime/index.ts';
import type { ExtractionDetector } from '../security/extraction/index.ts';
import type { OutputPolicy } from '../security/output-policy.ts';
import type { Principal } from '../security/index.ts';
import type { RateLimitPolicy } from '../security/rate-limit/index.ts';

export type OodMode = 'off' | 'record' | 'flag' | 'reject';
/** Spelled as the audit log spells flags: lower-case, dashes. */
export type Flag = 'out-of-distribution' | 'extraction-suspect' | 'degraded-output';

export interface SafeguardEvents {
  onOod?(v: ServedVersion, reasons: string[], rejected: boolean): void;
}

export interface SafeguardDeps {
  monitors: VersionMonitors;
  rateLimits?: RateLimitPolicy;
  extraction?: ExtractionDetector;
  oodMode: (model: string) => OodMode;
  outputPolicy: (model: string) => OutputPolicy;
  events?: SafeguardEvents;
}

export interface Inspection {
  monitor: VersionMonitor;
  features?: FeatureRow[];
  flags: Flag[];
}

export interface Answered {
  policy: OutputPolicy;
  flags: Flag[];
  /** Per row: the predicted label, when the model has one. */
  labels?: string[];
}

/** The class probabilities among the outputs: the manifest's named output, else a 2-D float tensor. */
export function probabilitiesOf(v: ServedVersion, outputs: readonly Tensor[]): Tensor | undefined {
  const named = v.manifest.predict?.probabilities;
  return outputs.find((o) => (named ? o.name === named : (o.datatype === 'FP32' || o.datatype === 'FP64') && o.shape.length === 2));
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

    /** Profiles the inputs as sent (before normalisation erases evasion evidence) and scores them. */
    inspect(v: ServedVersion, raw: readonly Tensor[]): Inspection {
      const monitor = deps.monitors.for(v);
      const out: Inspection = { monitor, flags: [] };
      const profiler = monitor.profiler;
      const mode = deps.oodMode(v.name);
      const scoring = mode !== 'off' && monitor.ood !== undefined;
      // Profiling is the costliest step of this path: skipped when nothing would read the features.
      if (!profiler || (!scoring && !monitor.drift)) return out;
      const input = raw.find((t) => t.name === profiler.input);
      if (!input) return out;
      out.features = profiler.kind === 'text'
        ? profiler.profile(input.data as string[])
        : profiler.profileTensor(input.data as ArrayLike<number>, input.shape);
      if (!scoring || !monitor.ood) return out;
      const reasons = new Set<string>();
      for (const row of out.features) for (const r of monitor.ood.scoreRow(row).reasons) reasons.add(r);
      if (reasons.size === 0) return out;
      deps.events?.onOod?.(v, [...reasons], mode === 'reject');
      if (mode === 'reject') {
        throw new ModelGateError('MG_INPUT_CONSTRAINT', `the input is out of distribution for this model: ${[...reasons].join('; ')}`, { flags: ['out-of-distribution'] });
      }
      if (mode === 'flag') out.flags.push('out-of-distribution');
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
        const result = deps.extraction.observe({ principal: principal.id, model: v.name, inputs, probabilities: probs });
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
          feedback?.recordPrediction(labels.length === 1 ? requestId : `${requestId}/${r}`, label);
        });
      }
      return { policy, flags, labels };
    },
  };
}

export type Safeguards = ReturnType<typeof createSafeguards>;
