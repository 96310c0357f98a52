// The per-row text features of the safeguards: the profile row (OOD scoring and drift, from the raw
// text) and the extraction detector's vector (from the validated text). One definition, run either in
// the feature worker or inline; tests hold the two to the same values.
import { createTextFeatures, type FeatureRow, type TextProfileSpec } from '../../monitoring/profile/index.ts';
import { textFeatures, type FeatureOptions, type SparseVector } from '../../security/extraction/index.ts';

/** What one model version needs computed; sent to the worker once per version. */
export interface FeatureSpec {
  profile?: TextProfileSpec;
  vectors?: FeatureOptions;
}

export interface FeatureJob {
  /** Raw texts for the profile rows (absent: no profile wanted). */
  profile?: readonly string[];
  /** Per query row, the text for the extraction vector (absent: no vectors wanted). */
  vectors?: readonly string[];
}

export interface Features {
  rows?: FeatureRow[];
  vectors?: SparseVector[];
}

export type FeatureComputer = (job: FeatureJob) => Features;

export function createFeatureComputer(spec: FeatureSpec): FeatureComputer {
  const profile = spec.profile ? createTextFeatures(spec.profile) : undefined;
  const options = spec.vectors;
  return (job) => ({
    ...(profile && job.profile && { rows: job.profile.map((t) => profile.row(t)) }),
    ...(options && job.vectors && { vectors: job.vectors.map((t) => textFeatures(t, options)) }),
  });
}
