// The dataplane: inference, simple prediction, metadata and health, free of any transport.
import type { PayloadCapturePolicy } from '../audit/index.ts';
import type { DecodeLimits } from '../protocol/index.ts';
import type { ModelSet } from '../registry/index.ts';
import { createInfer, type AuditSink, type InferenceObserver } from './infer.ts';
import type { Safeguards } from './safeguards.ts';
import type { RolloutController } from '../routing/index.ts';
import { createFeedback, type FeedbackHistory, type FeedbackListener } from './feedback.ts';
import type { VersionMonitors } from '../monitoring/version-monitors.ts';
import { createMetadata, type ServerInfo } from './metadata.ts';
import { createPredict } from './predict.ts';

export type { AuditSink, FailureContext, InferenceObserver, InferenceOutcome, Infer, InferUseCase, RawAnswer, RequestContext } from './infer.ts';
export { failureContext } from './infer.ts';
export { createSafeguards, probabilitiesOf, type Safeguards, type SafeguardDeps, type SafeguardEvents, type OodMode, type Flag } from './safeguards.ts';
export type { PredictItem, PredictResult, Prediction, Predict } from './predict.ts';
export type { ServerInfo } from './metadata.ts';
export { validateRequest } from './validate.ts';
export { FeatureOffload, createFeatureComputer, type FeatureSpec, type FeatureJob, type Features } from './features/index.ts';
export {
  createFeedback, type AnsweredPrediction, type Feedback, type FeedbackHistory, type FeedbackItem, type FeedbackListener, type FeedbackResult, type LabelClaim,
} from './feedback.ts';

export interface DataplaneDeps {
  models: ModelSet;
  requestTimeoutMs: number;
  limits: DecodeLimits;
  server: ServerInfo;
  observer?: InferenceObserver;
  safeguards?: Safeguards;
  audit?: AuditSink;
  rollouts?: RolloutController;
  /** A model's payload capture policy; without it (or for a model without one) inputs are only hashed. */
  payloadCapture?: (model: string) => PayloadCapturePolicy | undefined;
  /** Where feedback labels go; without monitors, feedback finds no request. */
  monitors?: VersionMonitors;
  /** Predictions answered elsewhere and labels claimed once across replicas; without it, feedback
   * joins only the predictions this process remembers. */
  feedbackHistory?: FeedbackHistory;
  /** Dependencies readiness waits on (the store); each resolves true when reachable. */
  readinessChecks?: (() => Promise<boolean>)[];
  /** Whether the registry knows a model (served by other replicas, perhaps not here): feedback for
   * it is accepted; for a model nothing knows, 404 as for predict. */
  modelRegistered?: (model: string) => Promise<boolean>;
}

export function createDataplane(deps: DataplaneDeps) {
  let draining = false;
  let started = false;
  const useCase = createInfer({ ...deps, isDraining: () => draining });
  const predict = createPredict({ infer: useCase, limits: deps.limits });
  const metadata = createMetadata(deps);
  const listeners: FeedbackListener[] = deps.rollouts ? [(model, item) => void deps.rollouts!.feedback(model, item.requestId, item.label)] : [];
  const feedback = deps.monitors ? createFeedback({
        monitors: deps.monitors, listeners, history: deps.feedbackHistory,
        ...(deps.safeguards && { admit: deps.safeguards.admitLabels }),
        ...(deps.modelRegistered && { registered: deps.modelRegistered }),
        loaded: (model) => (deps.models.has(model) ? deps.models.versions(model).map((v) => deps.models.get(model, v)) : []),
      }) : undefined;
  return {
    infer: useCase.infer,
    predict,
    feedback,
    limits: deps.limits,
    modelMetadata: metadata.model,
    modelReady: metadata.modelReady,
    serverMetadata: (): ServerInfo => deps.server,
    live: (): boolean => true,
    /** Ready once start-up loading finished, until shutdown begins, while the store answers. */
    async ready(): Promise<boolean> {
      if (!started || draining) return false;
      const checks = await Promise.all((deps.readinessChecks ?? []).map((c) => c().catch(() => false)));
      return checks.every(Boolean);
    },
    markStarted(): void {
      started = true;
    },
    /** Refuses new requests from now on; in-flight ones finish. */
    beginDrain(): void {
      draining = true;
    },
  };
}

export type Dataplane = ReturnType<typeof createDataplane>;
