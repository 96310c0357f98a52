// Profiles of live inputs against the packaged baseline: per-row feature values and per-request
// out-of-distribution verdicts (docs/drift.md).
export {
  BASELINE_FORMAT, QUANTILE_KEYS, QUANTILE_LEVELS, baselineSchema, binOf, parseBaseline, predictionSummaries,
  summarySchema, type Baseline, type NumericProfileSpec, type Summary, type TextProfileSpec,
} from './baseline.ts';
export {
  createProfiler, type FeatureInfo, type FeatureRow, type NumericProfiler, type Profiler, type TextProfiler,
} from './profiler.ts';
export {
  TEXT_FEATURES, createTextFeatures, lowerAsOnnxRuntime, type TextFeature, type TextFeatureComputer,
} from './text.ts';
export {
  createOodScorer, oodConfigSchema, type OodBreach, type OodConfig, type OodConfigInput, type OodScorer, type OodVerdict,
} from './ood.ts';
export { parseClassPattern } from './scan.ts';
