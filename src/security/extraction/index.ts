// Model-extraction detection: per-principal signals (volume, coverage, low-margin share, PRADA), an
// escalation ladder, and the settings schema. See docs/extraction.md.
export {
  ExtractionDetector,
  type ExtractionDetectorOptions,
  type ExtractionEvent,
  type ExtractionObservation,
  type ExtractionResult,
  type ExtractionVerdict,
  type FlaggedPair,
} from './detector.ts';
export { ExtractionControl, type FlaggedView } from './control.ts';
export { SharedLevels, type Lifted, type LiftOutcome, type RaiseOutcome, type SharedLevelsOptions, type StoredLevel } from './shared-levels.ts';
export {
  ACTIONS,
  LEVELS,
  extractionSettingsSchema,
  parseExtractionSettings,
  type Action,
  type ExtractionSettings,
  type ExtractionSettingsInput,
  type Level,
} from './config.ts';
export { lowMarginShareFromHistogram, type Histogram, type ModelProfile } from './profile.ts';
export type { SignalReading, Signals } from './signals.ts';
export { rowTexts, type NumericScale, type ProbabilityRows } from './queries.ts';
export { hashedTokenVector, textFeatures, type FeatureOptions, type SparseVector } from './features.ts';
export { shapiroWilk, type ShapiroWilkResult } from './shapiro-wilk.ts';
