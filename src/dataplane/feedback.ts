// Ground truth for answered requests, and what the monitors make of live traffic: the feedback use
// case (labels by request id, single or batch) and the drift and decay status of a model's versions.
import { errors } from '../errors.ts';
import type { FeedbackTracker } from '../monitoring/feedback/index.ts';
import type { ServedVersion } from '../runtime/index.ts';
import type { VersionMonitor, VersionMonitors } from '../monitoring/version-monitors.ts';
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

/** A prediction as the shared record says it was answered. */
export interface AnsweredPrediction {
  version: string;
  label: string;
  /** Epoch milliseconds. */
  at: number;
}

export interface LabelClaim {
  requestId: string;
  version: string;
  predicted: string;
  label: string;
  principal: string;
}

/**
 * What makes feedback work across replicas and restarts: the predictions this process does not
 * remember (answered by another replica, or before a restart), and a claim that lets each request be
 * labelled once whichever replica receives the label.
 */
export interface FeedbackHistory {
  answered(model: string, requestIds: readonly string[]): Promise<Map<string, AnsweredPrediction>>;
  /** Records the labels; returns the request ids recorded now (the others were labelled before). */
  claim(model: string, labels: readonly LabelClaim[]): Promise<Set<string>>;
}

interface Found {
  monitor: VersionMonitor & { feedback: FeedbackTracker };
  predicted: string;
  at: number;
  labelled: boolean;
}

export function createFeedback(deps: {
  monitors: VersionMonitors;
  listeners?: FeedbackListener[];
  history?: FeedbackHistory;
  /** The versions of a model loaded here: their monitors are built for a label that arrives before
   * the version served a request in this process (after a restart, or on another replica). */
  loaded?: (model: string) => ServedVersion[];
}) {
  return {
    /** Labels answered requests; ids of a multi-row request are `<requestId>/<row>`. */
    async feedback(principal: Principal | undefined, model: string, items: readonly FeedbackItem[]): Promise<FeedbackResult[]> {
      authorize(principal, 'infer', model);
      for (const v of deps.loaded?.(model) ?? []) deps.monitors.for(v);
      const monitors = deps.monitors.ofModel(model).filter((m): m is Found['monitor'] => m.feedback !== undefined);
      const labels = new Set(monitors.flatMap((m) => m.labels));
      // Every label is checked before any is counted: a bad item refuses the whole request.
      for (const item of items) {
        if (labels.size > 0 && !labels.has(item.label)) {
          throw errors.invalidRequest(`label '${item.label}' is not one of the model's labels: ${[...labels].join(', ')}`);
        }
      }
      for (const item of items) for (const l of deps.listeners ?? []) l(model, item);

      const found = items.map((item): Found | undefined => {
        for (const monitor of monitors) {
          const p = monitor.feedback.prediction(item.requestId);
          if (p) return { monitor, predicted: p.label, at: p.at, labelled: p.labelled };
        }
        return undefined;
      });
      const missing = [...new Set(items.filter((_, i) => !found[i]).map((it) => it.requestId))];
      if (missing.length > 0 && deps.history) {
        const answered = await deps.history.answered(model, missing);
        items.forEach((item, i) => {
          const a = found[i] ? undefined : answered.get(item.requestId);
          const monitor = a && monitors.find((m) => m.version === a.version);
          if (monitor) found[i] = { monitor, predicted: a.label, at: a.at, labelled: false };
        });
      }

      const results: FeedbackResult[] = new Array(items.length);
      const candidates: number[] = [];
      const inBatch = new Set<string>();
      items.forEach((item, i) => {
        const f = found[i];
        const { requestId } = item;
        if (!f) results[i] = { requestId, outcome: 'unknown' };
        else if (f.labelled || inBatch.has(requestId)) results[i] = { requestId, outcome: 'duplicate', version: f.monitor.version };
        else if (f.monitor.feedback.isExpired(f.at)) results[i] = { requestId, outcome: 'expired', version: f.monitor.version };
        else {
          inBatch.add(requestId);
          candidates.push(i);
        }
      });
      const claimed = deps.history && candidates.length > 0
        ? await deps.history.claim(model, candidates.map((i) => ({
            requestId: items[i].requestId, version: found[i]!.monitor.version, predicted: found[i]!.predicted, label: items[i].label, principal: principal.id,
          })))
        : undefined;
      for (const i of candidates) {
        const f = found[i]!;
        const { requestId, label } = items[i];
        if (claimed && !claimed.has(requestId)) {
          results[i] = { requestId, outcome: 'duplicate', version: f.monitor.version };
          continue;
        }
        f.monitor.feedback.addResolvedLabel(requestId, f.predicted, label);
        results[i] = { requestId, outcome: 'accepted', version: f.monitor.version };
      }
      return results;
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
