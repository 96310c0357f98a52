// Ground truth for answered requests, and what the monitors make of live traffic: the feedback use
// case (labels by request id, single or batch) and the drift and decay status of a model's versions.
import { errors } from '../errors.ts';
import type { VersionMonitors } from '../monitoring/version-monitors.ts';
import { authorize, type Principal } from '../security/index.ts';

export interface FeedbackItem {
  requestId: string;
  label: string;
}

export type FeedbackOutcome = 'accepted' | 'unknown' | 'expired' | 'duplicate';

export interface FeedbackResult {
  requestId: string;
  outcome: FeedbackOutcome;
  version?: string;
}

/** Extra consumers of feedback (e.g. A/B experiments), told about every label. */
export type FeedbackListener = (model: string, item: FeedbackItem) => void;

export function createFeedback(deps: { monitors: VersionMonitors; listeners?: FeedbackListener[] }) {
  return {
    /** Labels answered requests; ids of a multi-row request are `<requestId>/<row>`. */
    feedback(principal: Principal | undefined, model: string, items: readonly FeedbackItem[]): FeedbackResult[] {
      authorize(principal, 'infer', model);
      const monitors = deps.monitors.ofModel(model).filter((m) => m.feedback);
      const labels = new Set(monitors.flatMap((m) => m.labels));
      return items.map((item) => {
        if (labels.size > 0 && !labels.has(item.label)) {
          throw errors.invalidRequest(`label '${item.label}' is not one of the model's labels: ${[...labels].join(', ')}`);
        }
        for (const l of deps.listeners ?? []) l(model, item);
        for (const m of monitors) {
          const outcome = m.feedback!.addLabel(item.requestId, item.label);
          if (outcome !== 'unknown') return { requestId: item.requestId, outcome, version: m.version };
        }
        return { requestId: item.requestId, outcome: 'unknown' };
      });
    },

    /** Drift (latest window, history) and feedback metrics per version that has served requests. */
    status(principal: Principal | undefined, model: string) {
      authorize(principal, 'metrics');
      return {
        model,
        versions: deps.monitors.ofModel(model).map((m) => ({
          version: m.version,
          drift: m.drift ? { ...m.drift.current(), history: m.drift.history().slice(-50) } : null,
          feedback: m.feedback ? { ...m.feedback.current(), history: m.feedback.history().slice(-50) } : null,
          profiled: m.profiler !== undefined,
        })),
      };
    },
  };
}

export type Feedback = ReturnType<typeof createFeedback>;
