// Ground truth for answered requests, and what the monitors make of live traffic: the feedback use
// case (labels by request id, single or batch) and the drift and decay status of a model's versions.
import { errors } from '../errors.ts';
import type { FeedbackTracker } from '../monitoring/feedback/index.ts';
import type { ServedVersion } from '../runtime/index.ts';
import type { VersionMonitor, VersionMonitors } from '../monitoring/version-monitors.ts';
import { authorize, can, type Principal } from '../security/index.ts';

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

/** Extra consumers of feedback (e.g. A/B experiments), told about every accepted label. */
export type FeedbackListener = (model: string, item: FeedbackItem) => void;

/** A prediction as the shared record says it was answered. */
export interface AnsweredPrediction {
  version: string;
  label: string;
  /** Epoch milliseconds. */
  at: number;
  /** The principal that made the request. */
  principal: string | null;
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

type Tracked = VersionMonitor & { feedback: FeedbackTracker };

interface Found {
  version: string;
  predicted: string;
  at: number;
  labelled: boolean;
  /** Who asked for the prediction. */
  owner: string | null | undefined;
  /** The version's tracker here; absent when this process does not serve that version. */
  monitor?: Tracked;
}

const hasFeedback = (m: VersionMonitor | undefined): m is Tracked => m?.feedback !== undefined;

export function createFeedback(deps: {
  monitors: VersionMonitors;
  listeners?: FeedbackListener[];
  history?: FeedbackHistory;
  /** Refuses a principal over its feedback rate (MG_RATE_LIMITED), charged one per label. */
  admit?: (principal: Principal, labels: number) => Promise<void>;
  /** The versions of a model loaded here: a label joined through the history gets its version's
   * tracker even if that version has not served a request in this process yet. */
  loaded?: (model: string) => ServedVersion[];
  /** Whether the registry knows the model (registered, perhaps served by other replicas only); asked
   * only when nothing here knows it. Without it, such a model is known once a prediction is found. */
  registered?: (model: string) => Promise<boolean>;
}) {
  return {
    /**
     * Labels answered requests; ids of a multi-row request are `<requestId>/<row>`. A principal with
     * `label` on the model (labeller, admin) may label any of its requests; one with `infer` only its
     * own. For anyone else a request is `unknown`, so the answer tells nothing about other principals'
     * requests.
     */
    async feedback(principal: Principal | undefined, model: string, items: readonly FeedbackItem[]): Promise<FeedbackResult[]> {
      const anyRequest = principal !== undefined && can(principal, 'label', model);
      authorize(principal, anyRequest ? 'label' : 'infer', model);
      const loaded = deps.loaded?.(model) ?? [];
      const monitors = deps.monitors.ofModel(model).filter(hasFeedback);
      const labels = new Set([...loaded.flatMap((v) => v.manifest.labels ?? []), ...monitors.flatMap((m) => m.labels)]);
      // Every label is checked before any is counted: a bad item refuses the whole request.
      for (const item of items) {
        if (labels.size > 0 && !labels.has(item.label)) {
          throw errors.invalidRequest(`label '${item.label}' is not one of the model's labels: ${[...labels].join(', ')}`);
        }
      }
      // Charged before the lookups, which may read the audit log: a flood is refused cheaply.
      await deps.admit?.(principal, items.length);
      const found = items.map((item): Found | undefined => {
        for (const monitor of monitors) {
          const p = monitor.feedback.prediction(item.requestId);
          if (p) return { version: monitor.version, predicted: p.label, at: p.at, labelled: p.labelled, owner: p.principal, monitor };
        }
        return undefined;
      });
      const missing = [...new Set(items.filter((_, i) => !found[i]).map((it) => it.requestId))];
      if (missing.length > 0 && deps.history) {
        const answered = await deps.history.answered(model, missing);
        items.forEach((item, i) => {
          const a = found[i] ? undefined : answered.get(item.requestId);
          if (!a) return;
          const served = loaded.find((v) => v.version === a.version);
          const monitor = served ? deps.monitors.for(served) : deps.monitors.get(model, a.version);
          found[i] = { version: a.version, predicted: a.label, at: a.at, labelled: false, owner: a.principal, ...(hasFeedback(monitor) && { monitor }) };
        });
      }
      // Predict answers 404 for a model it does not know; so does feedback, rather than calling
      // every request id 'unknown'. Known: loaded or monitored here, answered (any replica), registered.
      const known = loaded.length > 0 || deps.monitors.ofModel(model).length > 0 || found.some(Boolean) || (await deps.registered?.(model));
      if (!known) throw errors.modelNotFound(model);

      const results: FeedbackResult[] = new Array(items.length);
      const candidates: number[] = [];
      const inBatch = new Set<string>();
      items.forEach((item, i) => {
        const f = found[i];
        const { requestId } = item;
        if (!f || !(anyRequest || f.owner === principal.id)) results[i] = { requestId, outcome: 'unknown' };
        else if (f.labelled || inBatch.has(requestId)) results[i] = { requestId, outcome: 'duplicate', version: f.version };
        else if (f.monitor ? f.monitor.feedback.isExpired(f.at) : !(Date.now() - f.at <= deps.monitors.feedbackTtlMs)) {
          results[i] = { requestId, outcome: 'expired', version: f.version };
        } else {
          inBatch.add(requestId);
          candidates.push(i);
        }
      });
      // Recorded once across replicas first (all or nothing); counted here only after that.
      const claimed = deps.history && candidates.length > 0
        ? await deps.history.claim(model, candidates.map((i) => ({
            requestId: items[i].requestId, version: found[i]!.version, predicted: found[i]!.predicted, label: items[i].label, principal: principal.id,
          })))
        : undefined;
      for (const i of candidates) {
        const f = found[i]!;
        const { requestId, label } = items[i];
        if (claimed && !claimed.has(requestId)) {
          f.monitor?.feedback.markLabelled(requestId);
          results[i] = { requestId, outcome: 'duplicate', version: f.version };
          continue;
        }
        // A version not served here is recorded as ground truth but counted by no tracker here.
        f.monitor?.feedback.addResolvedLabel(requestId, f.predicted, label);
        results[i] = { requestId, outcome: 'accepted', version: f.version };
        for (const l of deps.listeners ?? []) l(model, items[i]);
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
