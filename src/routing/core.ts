// What every controller operation shares: its collaborators, the in-memory view of endpoints that
// route() reads on the hot path, and mutate(), the one way a change is made: in a transaction
// holding the endpoint's lock, with its event, then the cache refreshed and onChange told.
import { isUniqueViolation, type Store } from '../store/index.ts';
import type { SignalsHook } from './analysis.ts';
import type { ExperimentFeedback } from './experiment.ts';
import type { EndpointChange, EventAction, EventDetail, Rollout } from './records.ts';
import { checkActor, conflict, liveRollout, lockEndpoint, recordEvent, toEndpoint, toRollout, type Db, type EndpointRecord, type RolloutRow } from './rows.ts';
import type { OutcomeStats } from './stats.ts';
import { versionsOf } from './route.ts';
import type { Policy, Rng } from './types.ts';

export type PromoteFn = (model: string, version: string, actor: string, reason: string) => Promise<unknown>;

/** The actor recorded for decisions the controller takes by itself. */
export const CONTROLLER_ACTOR = 'rollout-controller';

export interface CachedEndpoint {
  record: EndpointRecord;
  live: Rollout | null;
}

export interface Core {
  store: Store;
  now: () => Date;
  rng: Rng;
  stats: OutcomeStats;
  feedback: ExperimentFeedback;
  promote: PromoteFn;
  productionVersion?: (model: string) => Promise<string | null>;
  prepare?: (model: string, versions: string[]) => Promise<void>;
  signals?: SignalsHook;
  onChange?: (change: EndpointChange) => void;
  cache: Map<string, CachedEndpoint>;
  /** `${rolloutId}:${stepIndex}` whose statistics this replica is counting, per endpoint. */
  counting: Map<string, string>;
  /** This controller's id in rollout_stats: fresh per process, so a restart never overwrites the
   * counts it made before (shared-stats.ts). */
  replica: string;
}

export interface MutationState {
  endpoint: EndpointRecord | undefined;
  live: RolloutRow | undefined;
  at: string;
}

export interface MutationResult {
  action: EventAction;
  rolloutId: number | null;
  reason: string | null;
  /** The policy before and after, when the change moved traffic. */
  before?: Policy | null;
  after?: Policy;
  automatic?: boolean;
  detail?: EventDetail;
}

export async function mutate(
  core: Core, endpoint: string, actor: string, body: (trx: Db, state: MutationState) => Promise<MutationResult>, when?: Date,
): Promise<MutationResult> {
  checkActor(actor);
  const result = await core.store.transaction(async (trx): Promise<MutationResult> => {
    const at = (when ?? core.now()).toISOString();
    const record = await lockEndpoint(core.store.dialect, trx, endpoint);
    const live = record ? await liveRollout(trx, endpoint) : undefined;
    const r = await body(trx, { endpoint: record, live, at });
    const detail: EventDetail = { ...(r.detail ?? {}) };
    if (r.after !== undefined) Object.assign(detail, { before: r.before ?? null, after: r.after });
    await recordEvent(trx, {
      endpoint, rolloutId: r.rolloutId, at, actor, action: r.action, automatic: r.automatic ?? false, reason: r.reason,
      ...(Object.keys(detail).length > 0 ? { detail } : {}),
    });
    return r;
  }).catch((err: unknown) => {
    // Two replicas creating the same endpoint, or starting two rollouts, at once: one wins.
    if (isUniqueViolation(err)) throw conflict(`endpoint '${endpoint}' was changed by someone else at the same time; retry`);
    throw err;
  });
  await reloadEndpoint(core, endpoint, { local: true });
  if (result.after !== undefined) {
    core.onChange?.({ endpoint, before: result.before ?? null, after: result.after, action: result.action, automatic: result.automatic ?? false, reason: result.reason });
  }
  return result;
}

/** Re-reads one endpoint into the cache. A policy changed elsewhere (another replica, or before a
 * restart) is installed only after prepare() has loaded the versions it adds, so this replica never
 * routes to a version it has not loaded; if prepare fails the old policy stays and the error is thrown.
 * This replica's counts restart when the rollout or its step changed: an analysis compares one traffic split. */
export async function reloadEndpoint(core: Core, endpoint: string, options: { local?: boolean } = {}): Promise<void> {
  const db = core.store.db;
  const row = await db.selectFrom('endpoints').selectAll().where('name', '=', endpoint).executeTakeFirst();
  if (!row) {
    core.cache.delete(endpoint);
    return;
  }
  const record = toEndpoint(row);
  const old = core.cache.get(endpoint);
  const changed = !old || old.record.revision !== record.revision;
  // A local change prepared its versions before it committed, and tells onChange itself.
  if (changed && !options.local && core.prepare) {
    const had = new Set(old ? versionsOf(old.record.policy) : []);
    const added = versionsOf(record.policy).filter((v) => !had.has(v));
    if (added.length > 0) await core.prepare(endpoint, added);
  }
  const liveRow = await liveRollout(db, endpoint);
  const live = liveRow ? toRollout(liveRow) : null;
  // Two reloads of one endpoint can overlap (a poll and an operation's refresh): the slower one may
  // hold an older row, and must not put it back over the newer one. Versions it prepared for that
  // older row stay loaded until the serving controller's next reconcile unloads what no policy uses.
  const newest = core.cache.get(endpoint);
  if (newest && newest !== old && newest.record.revision > record.revision) return;
  core.cache.set(endpoint, { record, live });
  const key = live ? `${live.id}:${live.stepIndex}` : '';
  // Counts from before (another replica's, or this process's before a restart) are not restored into
  // memory: they are in rollout_stats, and the analysis adds them up (shared-stats.ts).
  if (core.counting.get(endpoint) !== key) {
    core.stats.reset(endpoint);
    core.feedback.reset(endpoint);
    core.counting.set(endpoint, key);
  }
  if (changed && !options.local) core.onChange?.({ endpoint, before: old?.record.policy ?? null, after: record.policy, action: 'refresh', automatic: false });
}

/** The policy now in force: the endpoint's row, or else single on the model's production version. */
export async function effectivePolicy(core: Core, endpoint: string, record: EndpointRecord | undefined): Promise<Policy | undefined> {
  if (record) return record.policy;
  const production = await core.productionVersion?.(endpoint);
  return production ? { kind: 'single', version: production } : undefined;
}

/** Reads an endpoint outside any transaction: what an operation prepares for (loading versions can
 * take seconds, too long to hold a lock); mutate() then checks the revision did not move. */
export async function readEndpoint(core: Core, endpoint: string): Promise<EndpointRecord | undefined> {
  const row = await core.store.db.selectFrom('endpoints').selectAll().where('name', '=', endpoint).executeTakeFirst();
  return row ? toEndpoint(row) : undefined;
}

export function checkUnchanged(state: MutationState, seen: EndpointRecord | undefined, endpoint: string): void {
  if ((state.endpoint?.revision ?? 0) !== (seen?.revision ?? 0)) {
    throw conflict(`endpoint '${endpoint}' changed while this operation prepared; retry`);
  }
}
