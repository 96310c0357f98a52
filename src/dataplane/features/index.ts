// The safeguards' per-row text features (profile rows, extraction vectors), inline or in a worker.
export { createFeatureComputer, type FeatureComputer, type FeatureJob, type FeatureSpec, type Features } from './compute.ts';
export { FeatureOffload, featureKey, type FeatureOffloadOptions, type OffloadCounts } from './offload.ts';
