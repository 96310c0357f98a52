// Public surface of routing: endpoint policies and route(), outcome statistics, the canary analysis,
// A/B feedback and the RolloutController that persists it all. See docs/rollouts.md.
export type { AbPolicy, AbVariant, Arm, BlueGreenPolicy, CanaryPolicy, Policy, PolicyKind, PrimaryArm, RouteContext, RouteDecision, Rng, ShadowPolicy, SinglePolicy } from './types.ts';
export { expectedShares, pickVariant, route, stickyHeaderOf, versionsOf } from './route.ts';
export { parsePolicy, policySchema, type PolicyInput } from './policy-schema.ts';
export { seededRng, stickyUnit } from './hash.ts';
export { LatencySketch } from './sketch.ts';
export { ArmStats, OutcomeStats, type ArmSummary, type Outcome, type OutcomeStatsOptions, type StatsSnapshot } from './stats.ts';
export { analyseCanary, type Analysis, type Signals, type SignalsHook } from './analysis.ts';
export { canaryConfigSchema, parseCanaryConfig, type CanaryConfig, type CanaryConfigInput, type Thresholds } from './canary-config.ts';
export { labelHomogeneity, normalCdf, oneSidedGreater, totalVariation, twoProportionZTest, type ZTestResult } from './statistics.ts';
export { ExperimentFeedback, type ExperimentFeedbackOptions, type ExperimentReport, type FeedbackOutcome, type VariantComparison, type VariantReport } from './experiment.ts';
export { RolloutController, type RolloutControllerOptions } from './controller.ts';
export { CONTROLLER_ACTOR, type PromoteFn } from './core.ts';
export type { StartCanaryInput, TickDecision, TickResult } from './canary.ts';
export {
  LIVE_STATES, ROLLOUT_KINDS, ROLLOUT_STATES,
  type CanarySettings, type EndpointChange, type EndpointStatus, type EventAction, type EventDetail, type ExperimentSettings,
  type Rollout, type RolloutEvent, type RolloutKind, type RolloutSettings, type RolloutState, type ShadowSettings,
} from './records.ts';
