// The per-row text features of the safeguards: the profile row (OOD scoring and drift, from the raw
// text) and the extraction detector's vector (from the validated text). One definition, run either in
// the feature worker or inline; tests hold the two to the same values.
import { createTextFeatures, parseClassPattern, type FeatureRow, type TextProfileSpec } from '../../monitoring/profile/index.ts';
import { hashedTokenVector, textFeatures, type FeatureOptions, type SparseVector } from '../../security/extraction/index.ts';

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
  /** The vector texts are the profile texts (nothing was normalised away): sent once, not twice. */
  vectorsAreProfile?: boolean;
}

/** The job as it travels to the worker: vector texts equal to the profile texts are not copied twice. */
export function compactJob(job: FeatureJob): FeatureJob {
  const { profile, vectors } = job;
  if (!profile || !vectors || profile.length !== vectors.length || vectors.some((t, i) => t !== profile[i])) return job;
  return { profile, vectorsAreProfile: true };
}

export interface Features {
  rows?: FeatureRow[];
  vectors?: SparseVector[];
}

export type FeatureComputer = (job: FeatureJob) => Features;

/** Whether every feature of the spec takes time linear in the text: the profile's tokens are counted
 * by the char-code scan, not by an arbitrary regular expression (which could backtrack for ever). */
export function isLinear(spec: FeatureSpec): boolean {
  return spec.profile === undefined || parseClassPattern(spec.profile.tokenPattern) !== undefined;
}

const NON_ASCII_OR_NUL = /[^\u0001-\u007f]/;

export function createFeatureComputer(spec: FeatureSpec): FeatureComputer {
  const profile = spec.profile ? createTextFeatures(spec.profile) : undefined;
  const options = spec.vectors;
  // One scan for both where they tokenise alike (see sharesTokens); otherwise each its own.
  const shared = profile?.hashesTokens && options && sharesTokens(spec.profile!) ? options : undefined;
  return (sent) => {
    const job = sent.vectorsAreProfile ? { profile: sent.profile, vectors: sent.profile } : sent;
    const out: Features = {};
    const rows = profile && job.profile ? new Array<FeatureRow>(job.profile.length) : undefined;
    const vectors = options && job.vectors ? new Array<SparseVector>(job.vectors.length) : undefined;
    if (rows && vectors && shared) {
      job.vectors!.forEach((t, i) => {
        if (job.profile![i] !== t || NON_ASCII_OR_NUL.test(t)) return;
        const v = hashedTokenVector(shared);
        rows[i] = profile!.row(t, v.add);
        vectors[i] = v.finish();
      });
    }
    if (rows) job.profile!.forEach((t, i) => (rows[i] ??= profile!.row(t)));
    if (vectors) job.vectors!.forEach((t, i) => (vectors[i] ??= textFeatures(t, options!)));
    if (rows) out.rows = rows;
    if (vectors) out.vectors = vectors;
    return out;
  };
}

/**
 * Whether, on ASCII text without NUL, the profile's tokens are exactly the extraction vector's: runs of
 * letters and digits after lower-casing, or a lone '$' or '!' (the vector's tokens are
 * [\p{L}\p{N}]+|[$!] of the lower-cased text, which on ASCII is that). Both hash a token with FNV-1a over
 * its lowered char codes, so one scan can feed both.
 */
function sharesTokens(p: TextProfileSpec): boolean {
  const atoms = parseClassPattern(p.tokenPattern);
  if (!p.lowercase || atoms?.length !== 2) return false;
  const set = (codes: Uint8Array) => [...codes.keys()].filter((c) => codes[c] === 1).map((c) => String.fromCharCode(c)).join('');
  return atoms[0].repeat && set(atoms[0].codes) === '0123456789abcdefghijklmnopqrstuvwxyz' && !atoms[1].repeat && set(atoms[1].codes) === '!$';
}
