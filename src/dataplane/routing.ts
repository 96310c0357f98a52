// Routing on the request path: which version answers (canary, blue/green, A/B) and which mirrors
// the request (shadow). The mirror runs apart from the client's request: its latency and failures
// are recorded for the rollout analysis and never reach the client.
import type { Tensor } from '../protocol/index.ts';
import type { ModelSet } from '../registry/index.ts';
import type { Arm, RolloutController, RouteDecision } from '../routing/index.ts';
import { stickyHeaderOf } from '../routing/index.ts';
import type { ServedVersion } from '../runtime/index.ts';
import { probabilitiesOf } from './safeguards.ts';
import { validateRequest } from './validate.ts';

/** Errors that are the candidate's fault count against it; a caller's bad input does not. */
export const SERVER_FAULTS = new Set(['MG_INFERENCE_FAILED', 'MG_TIMEOUT', 'MG_INTERNAL', 'MG_MODEL_NOT_READY']);

export function decide(rollouts: RolloutController | undefined, model: string, requestId: string, header?: (name: string) => string | undefined): RouteDecision | undefined {
  if (!rollouts) return undefined;
  const policy = rollouts.policyOf(model);
  if (!policy) return undefined;
  const sticky = stickyHeaderOf(policy);
  return rollouts.route(model, { requestId, ...(sticky && header?.(sticky) && { stickyKey: header(sticky) }) });
}

/** The label of the first row, for agreement and A/B statistics. */
export function firstLabel(v: ServedVersion, outputs: readonly Tensor[]): string | undefined {
  const named = v.manifest.predict?.label;
  const label = outputs.find((o) => (named ? o.name === named : o.datatype === 'BYTES' && o.shape.length === 1));
  if (label) return String((label.data as string[])[0]);
  const probs = probabilitiesOf(v, outputs);
  if (!probs) return undefined;
  const k = probs.shape[1];
  let best = 0;
  for (let j = 1; j < k; j++) if (Number(probs.data[j]) > Number(probs.data[best])) best = j;
  return v.manifest.labels?.[best] ?? String(best);
}

/** Sends the request to the shadow version in the background; never throws, never awaited. */
export function mirror(rollouts: RolloutController, models: ModelSet, model: string, version: string, requestId: string, inputs: Tensor[], timeoutMs: number): void {
  const started = performance.now();
  const done = (ok: boolean, label?: string) => rollouts.observe(model, 'shadow', { ok, latencyMs: performance.now() - started, label, shadowOf: requestId });
  let shadow: ServedVersion;
  try {
    shadow = models.get(model, version);
  } catch {
    return done(false);
  }
  const controller = new AbortController();
  const timer = setTimeout(() => controller.abort(), timeoutMs);
  Promise.resolve()
    .then(() => {
      const valid = validateRequest(shadow, { inputs });
      return shadow.infer(valid.inputs, valid.outputs, controller.signal);
    })
    .then((outputs) => done(true, firstLabel(shadow, outputs)), () => done(false))
    .finally(() => clearTimeout(timer));
}

export function observePrimary(
  rollouts: RolloutController | undefined, model: string, arm: Arm, requestId: string, ok: boolean, latencyMs: number, label?: string,
  ood?: { scored: number; out: number },
): void {
  if (!rollouts) return;
  rollouts.observe(model, arm, { ok, latencyMs, label, requestId, ...(ood && { oodScored: ood.scored, oodOut: ood.out }) });
  if (ok && label !== undefined && arm.startsWith('variant:')) rollouts.recordPrediction(model, requestId, arm, label);
}
