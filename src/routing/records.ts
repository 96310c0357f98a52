// The records the controller hands out: rollouts with their kind-specific settings, history events,
// endpoint status and policy changes. Plain data, safe to serialise as JSON for the admin API.
import type { Analysis } from './analysis.ts';
import type { CanaryConfig } from './canary-config.ts';
import type { ExperimentReport } from './experiment.ts';
import type { ArmSummary } from './stats.ts';
import type { AbVariant, Policy } from './types.ts';

export const ROLLOUT_KINDS = ['canary', 'shadow', 'experiment'] as const;
export type RolloutKind = (typeof ROLLOUT_KINDS)[number];
export const ROLLOUT_STATES = ['running', 'paused', 'succeeded', 'rolled_back', 'aborted', 'stopped'] as const;
export type RolloutState = (typeof ROLLOUT_STATES)[number];
/** States in which a rollout still shapes traffic; at most one per endpoint. */
export const LIVE_STATES: readonly RolloutState[] = ['running', 'paused'];

export interface CanarySettings {
  kind: 'canary';
  stable: string;
  candidate: string;
  config: CanaryConfig;
}

export interface ShadowSettings {
  kind: 'shadow';
  primary: string;
  shadow: string;
  sampleRate: number;
  /** The policy to restore when shadowing stops. */
  previous: Policy;
}

export interface ExperimentSettings {
  kind: 'experiment';
  variants: AbVariant[];
  stickyHeader: string;
  /** The label precision, recall and F1 are computed for; none: those are null in the report. */
  positiveLabel?: string;
  previous: Policy;
}

export type RolloutSettings = CanarySettings | ShadowSettings | ExperimentSettings;

export interface Rollout {
  id: number;
  endpoint: string;
  kind: RolloutKind;
  state: RolloutState;
  /** Canary: index into config.steps; 0 for the other kinds. */
  stepIndex: number;
  stepStartedAt: string;
  settings: RolloutSettings;
  startedAt: string;
  startedBy: string;
  updatedAt: string;
  endedAt: string | null;
  endReason: string | null;
}

export type EventAction =
  | 'create-endpoint' | 'update-policy' | 'switch'
  | 'start-canary' | 'advance' | 'promote' | 'promote-failed' | 'rollback' | 'pause' | 'resume' | 'abort'
  | 'start-shadow' | 'stop-shadow' | 'start-experiment' | 'stop-experiment';

export interface EventDetail {
  before?: Policy | null;
  after?: Policy | null;
  analysis?: Analysis;
  [key: string]: unknown;
}

export interface RolloutEvent {
  /** Increasing in commit order. */
  id: number;
  endpoint: string;
  rolloutId: number | null;
  at: string;
  actor: string;
  action: EventAction;
  /** True when the controller decided (analysis, promotion) rather than an operator. */
  automatic: boolean;
  reason: string | null;
  detail: EventDetail | null;
}

export interface EndpointStatus {
  endpoint: string;
  policy: Policy;
  revision: number;
  updatedAt: string;
  updatedBy: string;
  /** The live rollout, or else the most recent one. */
  rollout: Rollout | null;
  /** Outcome statistics per arm since the current step (or rollout) began, on this replica. */
  stats: Record<string, ArmSummary>;
  /** Canary: the weight of the current step. */
  candidateWeight?: number;
  experiment?: ExperimentReport;
}

export interface EndpointChange {
  endpoint: string;
  before: Policy | null;
  after: Policy;
  /** 'refresh': a change made elsewhere (another replica) or found at start, seen by refresh(). */
  action: EventAction | 'refresh';
  automatic: boolean;
  /** Why, as recorded in the rollout history (an automatic decision's analysis verdict). */
  reason?: string | null;
}
