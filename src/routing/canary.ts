// Canary rollouts: start, pause, resume, abort, and tick(), which judges each live canary step on
// the outcome statistics and advances it, promotes the candidate at the end, or rolls it back at once.
import { analyseCanary, type Analysis } from './analysis.ts';
import { parseCanaryConfig, type CanaryConfigInput } from './canary-config.ts';
import { CONTROLLER_ACTOR, mutate, readEndpoint, reloadEndpoint, type Core, type MutationState } from './core.ts';
import { singleBase, startRollout } from './operations.ts';
import { parsePolicy } from './policy-schema.ts';
import type { CanarySettings, ExperimentSettings, ShadowSettings } from './records.ts';
import { conflict, notFound, statsOf, writePolicy, type Db, type RolloutRow } from './rows.ts';
import { dropStats, publishStats, stepStats } from './shared-stats.ts';
import { ArmStats, summarize, type ArmSummary, type StatsSnapshot } from './stats.ts';
import type { Policy } from './types.ts';

export interface StartCanaryInput {
  candidate: string;
  /** Defaults to the endpoint's single version (or the model's production version). */
  stable?: string;
  config?: CanaryConfigInput;
}

export async function startCanary(core: Core, name: string, input: StartCanaryInput, actor: string, reason?: string): Promise<number> {
  const config = parseCanaryConfig(input.config);
  const seen = await readEndpoint(core, name);
  if (seen && seen.policy.kind !== 'single') throw conflict(`endpoint '${name}' has a ${seen.policy.kind} policy; a canary starts from a single version`);
  const stable = input.stable ?? (await singleBase(core, name, seen, 'canary')).version;
  const policy = parsePolicy({ kind: 'canary', stable, candidate: input.candidate, weight: config.steps[0] });
  const settings: CanarySettings = { kind: 'canary', stable, candidate: input.candidate, config };
  await core.prepare?.(name, [stable, input.candidate]);
  const r = await mutate(core, name, actor, (trx, st) => startRollout(trx, st, seen, name, settings, policy, actor, 'start-canary', reason));
  return r.rolloutId!;
}

/** Holds the canary at its step: it no longer advances, but a failing analysis still rolls it back. */
export async function pause(core: Core, name: string, actor: string, reason?: string): Promise<void> {
  await mutate(core, name, actor, async (trx, st) => {
    const live = liveCanary(st, name);
    if (live.state !== 'running') throw conflict(`the canary on '${name}' is ${live.state}, not running`);
    await trx.updateTable('rollouts').set({ state: 'paused', updated_at: st.at }).where('id', '=', Number(live.id)).execute();
    return { action: 'pause', rolloutId: Number(live.id), reason: reason ?? null };
  });
}

/** Lets a paused canary go on; its step's bake time starts again, so the step is watched for a whole
 * bake after the operator lets go. */
export async function resume(core: Core, name: string, actor: string, reason?: string): Promise<void> {
  await mutate(core, name, actor, async (trx, st) => {
    const live = liveCanary(st, name);
    if (live.state !== 'paused') throw conflict(`the canary on '${name}' is ${live.state}, not paused`);
    await trx.updateTable('rollouts').set({ state: 'running', step_started_at: st.at, updated_at: st.at }).where('id', '=', Number(live.id)).execute();
    return { action: 'resume', rolloutId: Number(live.id), reason: reason ?? null };
  });
}

/** Ends the live rollout of any kind at once: a canary goes back to its stable version, a shadow or
 * an experiment to the policy from before it. */
export async function abort(core: Core, name: string, actor: string, reason?: string): Promise<Policy> {
  const result = await mutate(core, name, actor, async (trx, st) => {
    if (!st.endpoint) throw notFound(name);
    if (!st.live) throw conflict(`endpoint '${name}' has no rollout to abort`);
    const settings = JSON.parse(st.live.config_json) as CanarySettings | ShadowSettings | ExperimentSettings;
    const after: Policy = settings.kind === 'canary' ? { kind: 'single', version: settings.stable } : settings.previous;
    await endRollout(trx, st, st.live, 'aborted', reason ?? 'aborted by an operator', await stepStats(trx, core, st.live));
    await writePolicy(trx, name, after, actor, st.at);
    return { action: 'abort', rolloutId: Number(st.live.id), reason: reason ?? null, before: st.endpoint.policy, after };
  });
  return result.after!;
}

export type TickDecision = 'wait' | 'advance' | 'promote' | 'promote-failed' | 'rollback';

export interface TickResult {
  endpoint: string;
  rolloutId: number;
  decision: TickDecision;
  /** Why: what it waits for, or the analysis verdict. */
  reason: string;
  analysis?: Analysis;
}

const EMPTY: ArmSummary = new ArmStats().summary();
/** Share of alpha spent on each look before a step's bake ends. */
export const INTERIM_ALPHA_SHARE = 0.1;

/** Judges every live canary once. Call it every few seconds (a timer in the server; by hand in tests). */
export async function tick(core: Core, now: Date = core.now()): Promise<TickResult[]> {
  const rows = await core.store.db.selectFrom('rollouts').selectAll().where('kind', '=', 'canary').where('state', 'in', ['running', 'paused']).orderBy('id').execute();
  const results: TickResult[] = [];
  for (const row of rows) results.push(await judge(core, row, now));
  return results;
}

async function judge(core: Core, row: RolloutRow, now: Date): Promise<TickResult> {
  const endpoint = row.endpoint;
  const id = Number(row.id);
  const step = Number(row.step_index);
  if (core.counting.get(endpoint) !== `${id}:${step}`) await reloadEndpoint(core, endpoint);
  const settings = JSON.parse(row.config_json) as CanarySettings;
  const { config } = settings;
  // Judged on every replica's counts of the step: this one's are published first.
  await publishStats(core, row);
  const merged = await stepStats(core.store.db, core, row);
  const summary = summarize(merged);
  const candidate = summary.candidate ?? EMPTY;
  const result = (decision: TickDecision, reason: string, analysis?: Analysis): TickResult => ({ endpoint, rolloutId: id, decision, reason, ...(analysis ? { analysis } : {}) });

  if (candidate.requests < config.minRequests) {
    return result('wait', `the candidate has ${candidate.requests} of ${config.minRequests} requests at step ${step + 1}`);
  }
  const { baseline } = statsOf(row);
  let stable = summary.stable ?? EMPTY;
  let stableFrom: 'step' | 'baseline' = 'step';
  // At 100 % the stable version gets no traffic: the last step that gave it some is the yardstick.
  if (stable.requests < config.minRequests && baseline) {
    stable = ArmStats.fromJSON(baseline).summary();
    stableFrom = 'baseline';
  }
  const signals = config.useSignals && core.signals ? await core.signals(endpoint, settings.candidate) : {};
  const baked = now.getTime() - Date.parse(row.step_started_at);
  const final = baked >= config.bakeMs && row.state === 'running';
  // Every tick looks again at growing counts; repeated looks inflate false alarms, so the looks
  // before the bake ends (which can only roll back) are held to a tenth of alpha.
  const alpha = final ? config.thresholds.alpha : config.thresholds.alpha * INTERIM_ALPHA_SHARE;
  const analysis = analyseCanary(stable, candidate, { ...config.thresholds, alpha }, signals, stableFrom);

  if (!analysis.pass) {
    const reason = `analysis failed at ${config.steps[step]}%: ${analysis.failures.join('; ')}`;
    const done = await endOnSingle(core, row, now, 'rolled_back', settings.stable, 'rollback', reason, analysis, merged);
    return done ? result('rollback', reason, analysis) : result('wait', 'the rollout changed elsewhere', analysis);
  }
  if (row.state === 'paused') return result('wait', 'paused', analysis);
  if (!final) {
    return result('wait', `baking: ${Math.round(baked / 1000)} s of ${Math.round(config.bakeMs / 1000)} s at ${config.steps[step]}%`, analysis);
  }

  if (step + 1 < config.steps.length) {
    const weight = config.steps[step + 1];
    const reason = `analysis passed at ${config.steps[step]}%; advancing to ${weight}%`;
    const stableNow = summary.stable;
    const done = await decide(core, row, now, async (trx, st) => {
      await trx
        .updateTable('rollouts')
        .set({
          step_index: step + 1, step_started_at: st.at, stats_json: null, updated_at: st.at,
          ...(stableNow && stableNow.requests >= config.minRequests ? { baseline_json: JSON.stringify(merged.stable) } : {}),
        })
        .where('id', '=', id)
        .execute();
      await dropStats(trx, id, step);
      const after: Policy = { kind: 'canary', stable: settings.stable, candidate: settings.candidate, weight };
      await writePolicy(trx, endpoint, after, CONTROLLER_ACTOR, st.at);
      return { after };
    }, 'advance', reason, analysis);
    return done ? result('advance', reason, analysis) : result('wait', 'the rollout changed elsewhere', analysis);
  }

  const reason = `analysis passed at every step (${config.steps.join(', ')}%); promoted`;
  try {
    await core.promote(endpoint, settings.candidate, CONTROLLER_ACTOR, reason);
  } catch (err) {
    // The canary stays at its last step and the next tick tries again; the operator sees why.
    const why = `promotion of version '${settings.candidate}' failed: ${(err as Error).message}`;
    await decide(core, row, now, async () => ({}), 'promote-failed', why, analysis);
    return result('promote-failed', why, analysis);
  }
  const done = await endOnSingle(core, row, now, 'succeeded', settings.candidate, 'promote', reason, analysis, merged);
  return done ? result('promote', reason, analysis) : result('wait', 'the rollout changed elsewhere', analysis);
}

class Stale extends Error {}

/** Applies an automatic decision if the rollout is still where it was judged (another replica or an
 * operator may have moved it since); false when it was not. */
/** Ends the rollout and leaves the endpoint serving one version: the stable one or the promoted one. */
function endOnSingle(
  core: Core, row: RolloutRow, now: Date, state: 'rolled_back' | 'succeeded', version: string,
  action: 'rollback' | 'promote', reason: string, analysis: Analysis, stats: StatsSnapshot,
) {
  return decide(core, row, now, async (trx, st) => {
    await endRollout(trx, st, row, state, reason, stats);
    const after: Policy = { kind: 'single', version };
    await writePolicy(trx, row.endpoint, after, CONTROLLER_ACTOR, st.at);
    return { after };
  }, action, reason, analysis);
}

async function decide(
  core: Core, row: RolloutRow, now: Date,
  apply: (trx: Db, st: MutationState) => Promise<{ after?: Policy }>,
  action: 'advance' | 'promote' | 'promote-failed' | 'rollback', reason: string, analysis: Analysis,
): Promise<boolean> {
  try {
    await mutate(core, row.endpoint, CONTROLLER_ACTOR, async (trx, st) => {
      if (!st.live || Number(st.live.id) !== Number(row.id) || Number(st.live.step_index) !== Number(row.step_index)) throw new Stale();
      const { after } = await apply(trx, st);
      return { action, rolloutId: Number(row.id), reason, automatic: true, detail: { analysis }, ...(after ? { before: st.endpoint?.policy ?? null, after } : {}) };
    }, now);
    return true;
  } catch (err) {
    if (err instanceof Stale) return false;
    throw err;
  }
}

/** Ends the rollout, keeping the last step's counts (every replica's) in its row for the history. */
async function endRollout(trx: Db, st: MutationState, row: RolloutRow, state: 'rolled_back' | 'succeeded' | 'aborted', reason: string, stats: StatsSnapshot): Promise<void> {
  await trx
    .updateTable('rollouts')
    .set({ state, ended_at: st.at, end_reason: reason, updated_at: st.at, stats_json: JSON.stringify(stats) })
    .where('id', '=', Number(row.id))
    .execute();
  await dropStats(trx, Number(row.id));
}

function liveCanary(st: MutationState, name: string): RolloutRow {
  if (!st.endpoint) throw notFound(name);
  if (!st.live || st.live.kind !== 'canary') throw conflict(`endpoint '${name}' has no canary running`);
  return st.live;
}
