// Drift: statistics as pure functions, and the per-version DriftMonitor that applies them to windows of
// live traffic against the packaged baseline (docs/drift.md).
export { baselineCdf, type BaselineCdf } from './cdf.ts';
export { chiSquareCounts, chiSquareTest, UNSEEN_SHARE, type ChiSquareResult } from './chi-square.ts';
export {
  CATEGORICAL_METHODS, NUMERIC_METHODS, driftConfigSchema, type CategoricalMethod, type DriftConfig, type DriftConfigInput,
  type DriftMethod, type NumericMethod,
} from './config.ts';
export { adjustPValues, type Correction } from './correction.ts';
export { evaluateWindow, type FeatureDrift, type MonitoredFeature, type WindowData, type WindowVerdict } from './evaluate.ts';
export { jensenShannonDistance, psi, PSI_EPSILON } from './histogram.ts';
export { ksStatistic, ksTest, type TestResult } from './ks.ts';
export {
  CLASS_FEATURE, DriftMonitor, predictionObservation, type DriftMonitorOptions, type DriftResult, type DriftStatus,
  type PredictionObservation,
} from './monitor.ts';
export { chiSquareSurvival, gammaP, gammaQ, kolmogorovSurvival, logGamma } from './special.ts';
