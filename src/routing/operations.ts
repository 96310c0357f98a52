// The operator's changes besides canaries: create an endpoint or replace its policy, switch
// blue/green, start and stop shadowing and experiments. Each prepares (loads) any version it adds
// before the change commits, so no request is routed to a version that is not ready.
import { ModelGateError } from '../errors.ts';
import { checkUnchanged, effectivePolicy, mutate, readEndpoint, type Core, type MutationResult, type MutationState } from './core.ts';
import { parsePolicy } from './policy-schema.ts';
import type { CanarySettings, ExperimentSettings, ShadowSettings } from './records.ts';
import { versionsOf } from './route.ts';
import { conflict, insertEndpoint, notFound, writePolicy, type Db, type EndpointRecord } from './rows.ts';
import type { AbVariant, Policy } from './types.ts';

export async function createEndpoint(core: Core, name: string, input: unknown, actor: string, reason?: string): Promise<void> {
  const policy = parsePolicy(input);
  await core.prepare?.(name, versionsOf(policy));
  await mutate(core, name, actor, async (trx, st) => {
    if (st.endpoint) throw conflict(`endpoint '${name}' already exists; update its policy instead`);
    await insertEndpoint(trx, name, policy, actor, st.at);
    return { action: 'create-endpoint', rolloutId: null, reason: reason ?? null, before: null, after: policy };
  });
}

export async function updatePolicy(core: Core, name: string, input: unknown, actor: string, reason?: string): Promise<void> {
  const policy = parsePolicy(input);
  await core.prepare?.(name, versionsOf(policy));
  await mutate(core, name, actor, async (trx, st) => {
    if (!st.endpoint) throw notFound(name);
    refuseWhileLive(st, name, 'replace its policy');
    await writePolicy(trx, name, policy, actor, st.at);
    return { action: 'update-policy', rolloutId: null, reason: reason ?? null, before: st.endpoint.policy, after: policy };
  });
}

/** Moves all traffic to the other colour (or to `to`) in one write: both stay loaded, so switching
 * back is just as instant. */
export async function switchBlueGreen(core: Core, name: string, actor: string, reason?: string, to?: 'blue' | 'green'): Promise<Policy> {
  const result = await mutate(core, name, actor, async (trx, st) => {
    if (!st.endpoint) throw notFound(name);
    const before = st.endpoint.policy;
    if (before.kind !== 'blue-green') throw conflict(`endpoint '${name}' has a ${before.kind} policy, not blue-green`);
    const after: Policy = { ...before, active: to ?? (before.active === 'blue' ? 'green' : 'blue') };
    if (after.active !== before.active) await writePolicy(trx, name, after, actor, st.at);
    return { action: 'switch', rolloutId: null, reason: reason ?? null, before, after };
  });
  return result.after!;
}

export async function startShadow(core: Core, name: string, input: { shadow: string; sampleRate?: number }, actor: string, reason?: string): Promise<number> {
  const seen = await readEndpoint(core, name);
  const base = await singleBase(core, name, seen, 'shadow');
  const policy = parsePolicy({ kind: 'shadow', primary: base.version, shadow: input.shadow, sampleRate: input.sampleRate ?? 1 });
  if (policy.kind !== 'shadow') throw new ModelGateError('MG_INTERNAL', 'shadow policy expected');
  await core.prepare?.(name, [policy.shadow]);
  const settings: ShadowSettings = { kind: 'shadow', primary: policy.primary, shadow: policy.shadow, sampleRate: policy.sampleRate, previous: base };
  const r = await mutate(core, name, actor, (trx, st) => startRollout(trx, st, seen, name, settings, policy, actor, 'start-shadow', reason));
  return r.rolloutId!;
}

export async function startExperiment(
  core: Core, name: string,
  input: { variants: AbVariant[]; stickyHeader?: string; positiveLabel?: string },
  actor: string, reason?: string,
): Promise<number> {
  const seen = await readEndpoint(core, name);
  const previous = await effectivePolicy(core, name, seen);
  if (!previous) throw conflict(`model '${name}' has no endpoint and no production version; an experiment needs something to return to`);
  const policy = parsePolicy({ kind: 'ab', variants: input.variants, ...(input.stickyHeader ? { stickyHeader: input.stickyHeader } : {}) });
  if (policy.kind !== 'ab') throw new ModelGateError('MG_INTERNAL', 'ab policy expected');
  await core.prepare?.(name, versionsOf(policy));
  const settings: ExperimentSettings = {
    kind: 'experiment', variants: policy.variants, stickyHeader: policy.stickyHeader, previous,
    ...(input.positiveLabel !== undefined ? { positiveLabel: input.positiveLabel } : {}),
  };
  const r = await mutate(core, name, actor, (trx, st) => startRollout(trx, st, seen, name, settings, policy, actor, 'start-experiment', reason));
  return r.rolloutId!;
}

/** Ends the live shadow or experiment and restores the policy from before it, or for an experiment
 * moves everything to the winner variant's version. */
export async function stopRollout(core: Core, name: string, kind: 'shadow' | 'experiment', actor: string, reason?: string, winner?: string): Promise<Policy> {
  const result = await mutate(core, name, actor, async (trx, st) => {
    if (!st.endpoint) throw notFound(name);
    if (!st.live || st.live.kind !== kind) throw conflict(`endpoint '${name}' has no ${kind} running`);
    const settings = JSON.parse(st.live.config_json) as ShadowSettings | ExperimentSettings;
    let after: Policy = settings.previous;
    if (winner !== undefined) {
      const variant = settings.kind === 'experiment' ? settings.variants.find((v) => v.name === winner) : undefined;
      if (!variant) throw new ModelGateError('MG_INVALID_REQUEST', `'${winner}' is not a variant of the experiment on '${name}'`);
      after = { kind: 'single', version: variant.version };
    }
    const id = Number(st.live.id);
    // The final numbers go into the event: the in-memory counts are reset when the rollout ends.
    const detail = settings.kind === 'experiment'
      ? { report: core.feedback.report(name, settings.variants, core.stats.summary(name), settings.positiveLabel), winner: winner ?? null }
      : { stats: core.stats.summary(name) };
    await trx
      .updateTable('rollouts')
      .set({ state: 'stopped', ended_at: st.at, end_reason: reason ?? null, updated_at: st.at, stats_json: JSON.stringify(core.stats.snapshot(name)) })
      .where('id', '=', id)
      .execute();
    await writePolicy(trx, name, after, actor, st.at);
    return { action: kind === 'shadow' ? 'stop-shadow' : 'stop-experiment', rolloutId: id, reason: reason ?? null, before: st.endpoint.policy, after, detail };
  });
  return result.after!;
}

export function refuseWhileLive(st: MutationState, name: string, what: string): void {
  if (st.live) throw conflict(`endpoint '${name}' has a ${st.live.kind} rollout ${st.live.state} (id ${st.live.id}); end it before trying to ${what}`);
}

/** Starts a rollout row and writes its policy, creating the endpoint row when the model had none. */
export async function startRollout(
  trx: Db, st: MutationState, seen: EndpointRecord | undefined, name: string,
  settings: ShadowSettings | ExperimentSettings | CanarySettings, policy: Policy, actor: string,
  action: 'start-shadow' | 'start-experiment' | 'start-canary', reason?: string,
): Promise<MutationResult> {
  checkUnchanged(st, seen, name);
  refuseWhileLive(st, name, `start a ${settings.kind}`);
  if (st.endpoint) await writePolicy(trx, name, policy, actor, st.at);
  else await insertEndpoint(trx, name, policy, actor, st.at);
  const row = await trx
    .insertInto('rollouts')
    .values({
      endpoint: name, kind: settings.kind, state: 'running', step_index: 0, step_started_at: st.at, config_json: JSON.stringify(settings),
      stats_json: null, baseline_json: null, started_at: st.at, started_by: actor, updated_at: st.at, ended_at: null, end_reason: null,
    })
    .returning('id')
    .executeTakeFirstOrThrow();
  return { action, rolloutId: Number(row.id), reason: reason ?? null, before: st.endpoint?.policy ?? null, after: policy };
}

/** The single version a shadow (or canary) starts from. */
export async function singleBase(core: Core, name: string, seen: EndpointRecord | undefined, what: string): Promise<{ kind: 'single'; version: string }> {
  const base = await effectivePolicy(core, name, seen);
  if (!base) throw conflict(`model '${name}' has no endpoint and no production version to ${what} against`);
  if (base.kind !== 'single') throw conflict(`endpoint '${name}' has a ${base.kind} policy; a ${what} starts from a single version`);
  return base;
}
