// createProfiler: turns live inputs into the per-row feature values the baseline summarises, for text
// models (length, tokens, OOV share, character classes) and numeric ones (one feature per column).
import { errors, ModelGateError } from '../../errors.ts';
import type { Baseline, Summary, TextProfileSpec } from './baseline.ts';
import { createTextFeatures, TEXT_FEATURES, TEXT_LOG_SCALE } from './text.ts';

/** Feature name -> value for one input row; NaN where the feature is undefined for the row. */
export type FeatureRow = Readonly<Record<string, number>>;

export interface FeatureInfo {
  name: string;
  /** 'log' for counts spanning orders of magnitude: the OOD fences are set on log1p of the value. */
  scale: 'linear' | 'log';
  summary: Summary;
}

interface ProfilerBase {
  /** The model input the features come from. */
  input: string;
  /** The profiled features that have a baseline summary, in a stable order. */
  features: readonly FeatureInfo[];
}

export interface TextProfiler extends ProfilerBase {
  kind: 'text';
  /** What a row is computed from, so the same rows can be computed elsewhere (createTextFeatures). */
  spec: TextProfileSpec;
  profile(texts: readonly string[]): FeatureRow[];
}

export interface NumericProfiler extends ProfilerBase {
  kind: 'numeric';
  /** Columns per row: the baseline has summaries `<input>[0]` ... `<input>[width-1]`. */
  width: number;
  profile(rows: readonly ArrayLike<number>[]): FeatureRow[];
  /** Rows of a row-major [N, width] tensor, as the runtime hands them over. */
  profileTensor(data: ArrayLike<number>, shape: readonly number[]): FeatureRow[];
}

export type Profiler = TextProfiler | NumericProfiler;

export function createProfiler(baseline: Baseline): Profiler {
  const spec = baseline.profile;
  if (spec === undefined) throw new ModelGateError('MG_PACKAGE_INVALID', 'the baseline has no profile section: nothing to profile');
  if (spec.kind === 'text') {
    const computer = createTextFeatures(spec);
    const features = known(baseline, TEXT_FEATURES, (name) => (TEXT_LOG_SCALE.has(name) ? 'log' : 'linear'));
    return { kind: 'text', input: spec.input, spec, features, profile: (texts) => texts.map((t) => computer.row(t)) };
  }
  const names = numericFeatureNames(baseline, spec.input);
  const features = known(baseline, names, () => 'linear');
  const width = names.length;
  const toRow = (get: (j: number) => number): FeatureRow => {
    const row: Record<string, number> = {};
    for (let j = 0; j < width; j++) row[names[j]] = Number(get(j));
    return row;
  };
  return {
    kind: 'numeric',
    input: spec.input,
    features,
    width,
    profile: (rows) =>
      rows.map((r, i) => {
        if (r.length !== width) throw errors.invalidTensor(`row ${i} of '${spec.input}' has ${r.length} values, the baseline ${width}`);
        return toRow((j) => r[j]);
      }),
    profileTensor: (data, shape) => {
      const n = shape[0] ?? 0;
      const cols = shape.slice(1).reduce((a, b) => a * b, 1);
      if (cols !== width || data.length !== n * width) {
        throw errors.invalidTensor(`'${spec.input}' has shape [${shape.join(', ')}], the baseline [N, ${width}]`);
      }
      return Array.from({ length: n }, (_, i) => toRow((j) => data[i * width + j]));
    },
  };
}

function known(baseline: Baseline, names: readonly string[], scale: (name: string) => FeatureInfo['scale']): FeatureInfo[] {
  return names.filter((n) => baseline.features[n] !== undefined).map((n) => ({ name: n, scale: scale(n), summary: baseline.features[n] }));
}

/** `<input>[0]` ... `<input>[d-1]`, all present: a gap would silently shift every later column. */
function numericFeatureNames(baseline: Baseline, input: string): string[] {
  const prefix = `${input}[`;
  const indices = Object.keys(baseline.features)
    .filter((k) => k.startsWith(prefix) && k.endsWith(']'))
    .map((k) => Number(k.slice(prefix.length, -1)))
    .filter((i) => Number.isInteger(i) && i >= 0)
    .sort((a, b) => a - b);
  if (indices.length === 0 || indices.some((v, i) => v !== i)) {
    throw new ModelGateError('MG_PACKAGE_INVALID', `the baseline needs summaries '${input}[0]' ... '${input}[d-1]' without gaps`);
  }
  return indices.map((i) => `${input}[${i}]`);
}
