// Messages between the event loop and the feature worker. Jobs of one event-loop turn travel in one
// message, and their answers come back in one.
import type { FeatureJob, FeatureSpec, Features } from './compute.ts';

export type FeatureRequest =
  | { type: 'spec'; key: string; spec: FeatureSpec }
  | { type: 'forget'; key: string }
  | { type: 'jobs'; jobs: { id: number; key: string; job: FeatureJob }[] };

export type FeatureReply =
  | { type: 'ready' }
  | { type: 'results'; results: ({ id: number; features: Features } | { id: number; error: string })[] };
