// Ground-truth feedback and model decay: labels arrive after the fact by request id and are compared
// with the manifest's validation metrics (docs/drift.md, "Feedback and decay").
export {
  FEEDBACK_METRICS, feedbackConfigSchema, referenceFromManifest, type FeedbackConfig, type FeedbackConfigInput,
  type FeedbackMetric, type ReferenceMetrics,
} from './config.ts';
export { Confusion } from './confusion.ts';
export { claimLabels, type LedgerLabel } from './ledger.ts';
export {
  FeedbackTracker, type BatchOutcome, type FeedbackStatus, type FeedbackTrackerOptions, type LabelOutcome, type MetricDrop,
  type WindowSnapshot,
} from './tracker.ts';
