// The canary analysis: a pure comparison of the candidate's outcome statistics with the stable
// version's at the same step, plus the external signals. Every number it looked at is returned, so
// the rollout event that records a pass or a rollback can say exactly why.
import type { Thresholds } from './canary-config.ts';
import { labelHomogeneity, oneSidedGreater, totalVariation, twoProportionZTest } from './statistics.ts';
import type { ArmSummary } from './stats.ts';

export interface Signals {
  /** True when the drift monitor flags the candidate's inputs or outputs. */
  drift?: boolean;
  /** True when a security detector (extraction, adversarial inputs) flags traffic to the candidate. */
  security?: boolean;
}

 /** Scored requests below which the candidate's out-of-distribution share is not judged. */
export const MIN_OOD_REQUESTS = 20;

export type SignalsHook = (endpoint: string, version: string) => Signals | Promise<Signals>;

export interface Analysis {
  pass: boolean;
  /** Why it failed, one line per failed check; empty on a pass. */
  failures: string[];
  stable: ArmSummary;
  candidate: ArmSummary;
  /** 'step' when the stable numbers are from this step; 'baseline' when the step sends the stable
   * version too little traffic (at 100 %) and the last step that did stands in. */
  stableFrom: 'step' | 'baseline';
  errorRateDelta: number;
  errorPValue: number;
  p99Ratio: number | null;
  disagreement: number;
  disagreementPValue: number;
  /** The significance level the tests were held to (stricter before the bake ends). */
  alpha: number;
  signals: Signals;
}

export function analyseCanary(
  stable: ArmSummary,
  candidate: ArmSummary,
  thresholds: Thresholds,
  signals: Signals = {},
  stableFrom: 'step' | 'baseline' = 'step',
): Analysis {
  const failures: string[] = [];
  const errorTest = twoProportionZTest(stable.errors, stable.requests, candidate.errors, candidate.requests);
  const errorPValue = oneSidedGreater(errorTest);
  const errorRateDelta = candidate.errorRate - stable.errorRate;
  // Both the size and the significance: a tiny step's noise must not roll back a good candidate,
  // and a significant but negligible difference is not worth a rollback either.
  if (errorRateDelta > thresholds.maxErrorRateDelta && errorPValue < thresholds.alpha) {
    failures.push(`error rate ${pct(candidate.errorRate)} vs stable ${pct(stable.errorRate)}: +${pct(errorRateDelta)} exceeds ${pct(thresholds.maxErrorRateDelta)} (one-sided p=${errorPValue.toPrecision(3)})`);
  }

  const p99Ratio = stable.p99Ms > 0 ? candidate.p99Ms / stable.p99Ms : null;
  if (
    stable.requests > 0 &&
    candidate.p99Ms - stable.p99Ms > thresholds.minP99DeltaMs &&
    (p99Ratio === null || p99Ratio > thresholds.maxP99Ratio)
  ) {
    failures.push(`p99 latency ${ms(candidate.p99Ms)} vs stable ${ms(stable.p99Ms)}: ratio ${p99Ratio === null ? 'inf' : p99Ratio.toFixed(2)} exceeds ${thresholds.maxP99Ratio}`);
  }

  const disagreement = totalVariation(stable.labels, candidate.labels);
  const homogeneity = labelHomogeneity(stable.labels, candidate.labels);
  if (disagreement > thresholds.maxDisagreement && homogeneity.pValue < thresholds.alpha) {
    failures.push(`label shares differ by ${pct(disagreement)} (total variation) exceeding ${pct(thresholds.maxDisagreement)} (chi-square p=${homogeneity.pValue.toPrecision(3)})`);
  }

  // The security detector on the candidate's own traffic at this step, summed over replicas: crafted
  // inputs (evasion, probing) land outside the training distribution, and a new version is not shipped
  // into such traffic. Counted in requests, so one large request cannot tip it; fewer than 20 scored
  // requests cannot estimate a share.
  if (candidate.oodScored >= MIN_OOD_REQUESTS && (candidate.oodShare ?? 0) > thresholds.maxOodShare) {
    failures.push(`a security detector flags traffic to the candidate: ${pct(candidate.oodShare!)} of its requests are out of distribution, above ${pct(thresholds.maxOodShare)}`);
  }
  if (signals.drift) failures.push('the drift monitor flags the candidate');
  if (signals.security) failures.push('a security detector flags traffic to the candidate');

  return {
    pass: failures.length === 0, failures, stable, candidate, stableFrom,
    errorRateDelta, errorPValue, p99Ratio, disagreement, disagreementPValue: homogeneity.pValue, alpha: thresholds.alpha, signals,
  };
}

function pct(x: number): string {
  return `${(x * 100).toFixed(2)}%`;
}

function ms(x: number): string {
  return `${x.toFixed(1)} ms`;
}
