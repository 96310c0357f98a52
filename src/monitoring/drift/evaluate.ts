// Judges one closed window against the baseline: every feature gets all scores (KS, PSI, JS distance,
// chi-square for classes), the configured method gives its verdict, and the correction is applied across
// the p-value tests of the window. Pure: the monitor hands in the window's data.
import { binOf, type Summary } from '../profile/index.ts';
import type { BaselineCdf } from './cdf.ts';
import { chiSquareCounts, chiSquareTest } from './chi-square.ts';
import type { DriftConfig, DriftMethod } from './config.ts';
import { adjustPValues } from './correction.ts';
import { jensenShannonDistance, psi } from './histogram.ts';
import { ksTest } from './ks.ts';

export type MonitoredFeature =
  | { name: string; kind: 'numeric'; method: DriftMethod; summary: Summary; cdf: BaselineCdf }
  | { name: string; kind: 'categorical'; method: DriftMethod; shares: Readonly<Record<string, number>> };

export type WindowData = { kind: 'numeric'; sorted: Float64Array } | { kind: 'categorical'; counts: ReadonlyMap<string, number> };

export interface FeatureDrift {
  feature: string;
  kind: 'numeric' | 'categorical';
  method: DriftMethod;
  /** Live values in the window (defined ones only). */
  count: number;
  /** The method's statistic: KS D, PSI, JS distance or chi-square. */
  statistic: number;
  /** For ks and chi2: the raw and the corrected p-value. */
  pValue?: number;
  adjustedPValue?: number;
  /** What the verdict compares with: alpha for p-values, the PSI or JS threshold for distances. */
  threshold: number;
  drifted: boolean;
  scores: { psi: number; jsd: number; ks?: number; ksPValue?: number; chi2?: number; chi2PValue?: number; mean?: number };
}

export interface WindowVerdict {
  features: FeatureDrift[];
  drifted: boolean;
  driftedFeatures: string[];
  /** Drifted features / judged features (those with at least one live value). */
  driftShare: number;
}

export function evaluateWindow(features: readonly MonitoredFeature[], data: readonly WindowData[], config: DriftConfig): WindowVerdict {
  const out = features.map((f, i) => judge(f, data[i], config));
  const tested = out.filter((d) => d.pValue !== undefined && d.count > 0);
  const adjusted = adjustPValues(tested.map((d) => d.pValue!), config.correction);
  tested.forEach((d, i) => {
    d.adjustedPValue = adjusted[i];
    d.drifted = adjusted[i] < config.alpha;
  });
  const judged = out.filter((d) => d.count > 0);
  const driftedFeatures = out.filter((d) => d.drifted).map((d) => d.feature);
  const driftShare = judged.length === 0 ? 0 : driftedFeatures.length / judged.length;
  const drifted = config.overall === 'any' ? driftedFeatures.length > 0 : judged.length > 0 && driftShare >= config.driftShare;
  return { features: out, drifted, driftedFeatures, driftShare };
}

function judge(f: MonitoredFeature, data: WindowData, config: DriftConfig): FeatureDrift {
  if (f.kind === 'numeric' && data.kind === 'numeric') {
    const { sorted } = data;
    const live = new Array<number>(f.summary.histogram.counts.length).fill(0);
    let sum = 0;
    for (const x of sorted) {
      live[binOf(x, f.summary.histogram.edges)]++;
      sum += x;
    }
    const ks = ksTest(sorted, f.cdf, f.summary.count);
    // Chi-square on the histogram bins only when asked for: KS is the better test for numbers.
    const chi = f.method === 'chi2' ? chiSquareCounts(live, f.summary.histogram.counts) : undefined;
    const scores = {
      psi: psi(f.summary.histogram.counts, live),
      jsd: jensenShannonDistance(f.summary.histogram.counts, live),
      ks: ks.statistic,
      ksPValue: ks.pValue,
      mean: sorted.length === 0 ? Number.NaN : sum / sorted.length,
      ...(chi === undefined ? {} : { chi2: chi.statistic, chi2PValue: chi.pValue }),
    };
    return verdict(f, sorted.length, scores, config);
  }
  if (f.kind === 'categorical' && data.kind === 'categorical') {
    const observed = Object.fromEntries(data.counts);
    const keys = [...new Set([...Object.keys(f.shares), ...Object.keys(observed)])].sort();
    const expected = keys.map((k) => f.shares[k] ?? 0);
    const live = keys.map((k) => observed[k] ?? 0);
    const chi = chiSquareTest(observed, f.shares);
    const count = live.reduce((a, b) => a + b, 0);
    const scores = { psi: psi(expected, live), jsd: jensenShannonDistance(expected, live), chi2: chi.statistic, chi2PValue: chi.pValue };
    return verdict(f, count, scores, config);
  }
  throw new Error(`window data of kind ${data.kind} for ${f.kind} feature ${f.name}`);
}

function verdict(f: MonitoredFeature, count: number, scores: FeatureDrift['scores'], config: DriftConfig): FeatureDrift {
  const base = { feature: f.name, kind: f.kind, method: f.method, count, scores };
  switch (f.method) {
    case 'ks':
      return { ...base, statistic: scores.ks!, pValue: scores.ksPValue!, threshold: config.alpha, drifted: false };
    case 'chi2':
      return { ...base, statistic: scores.chi2!, pValue: scores.chi2PValue!, threshold: config.alpha, drifted: false };
    case 'psi':
      return { ...base, statistic: scores.psi, threshold: config.psiThreshold, drifted: count > 0 && scores.psi > config.psiThreshold };
    case 'jsd':
      return { ...base, statistic: scores.jsd, threshold: config.jsdThreshold, drifted: count > 0 && scores.jsd > config.jsdThreshold };
  }
}
