// A canary step's counts across replicas. Each replica counts the answers it gives in memory
// (OutcomeStats, on the hot path) and writes its counts of the live step to rollout_stats at every
// tick, under an id of its own that is fresh per process. A step is judged, shown and archived on the
// sum of every replica's row, so with N replicas the analysis sees all the traffic, not 1/N of it, and a
// restarted replica's earlier counts stay in the sum instead of being overwritten or counted twice.
import type { Core } from './core.ts';
import type { Db, RolloutRow } from './rows.ts';
import { mergeSnapshots, type StatsSnapshot } from './stats.ts';

/** What names a canary step: its rollout, the step, and the endpoint whose counts they are. */
type Step = Pick<RolloutRow, 'id' | 'step_index' | 'endpoint'>;

/** This replica's live counts of the row's step; none when it is counting another step (the row was
 * read before a change this replica has already picked up, or after one it has not). */
function ownCounts(core: Core, row: Step): StatsSnapshot {
  return core.counting.get(row.endpoint) === `${row.id}:${row.step_index}` ? core.stats.snapshot(row.endpoint) : {};
}

/** Writes this replica's counts of the rollout's current step (nothing when it has counted none). */
export async function publishStats(core: Core, row: Step): Promise<void> {
  const own = ownCounts(core, row);
  if (Object.keys(own).length === 0) return;
  const values = { stats_json: JSON.stringify(own), updated_at: core.now().toISOString() };
  await core.store.db
    .insertInto('rollout_stats')
    .values({ rollout_id: Number(row.id), step_index: Number(row.step_index), replica: core.replica, ...values })
    .onConflict((oc) => oc.columns(['rollout_id', 'step_index', 'replica']).doUpdateSet(values))
    .execute();
}

/** Every replica's counts of the rollout's current step: this one's live counts, the others' rows. */
export async function stepStats(db: Db, core: Core, row: Step): Promise<StatsSnapshot> {
  const others = await db
    .selectFrom('rollout_stats')
    .select('stats_json')
    .where('rollout_id', '=', Number(row.id))
    .where('step_index', '=', Number(row.step_index))
    .where('replica', '!=', core.replica)
    .execute();
  return mergeSnapshots([ownCounts(core, row), ...others.map((r) => JSON.parse(r.stats_json) as StatsSnapshot)]);
}

/** Forgets the rows of the rollout's steps up to `throughStep` (all of them when absent). */
export async function dropStats(db: Db, rolloutId: number, throughStep?: number): Promise<void> {
  let q = db.deleteFrom('rollout_stats').where('rollout_id', '=', rolloutId);
  if (throughStep !== undefined) q = q.where('step_index', '<=', throughStep);
  await q.execute();
}

/**
 * Publishes this replica's counts of every live canary step it holds, and drops rows of rollouts that
 * have ended (a replica may publish just after another ended the rollout). Run by refresh(), so a
 * replica that never judges (rolloutTickMs 0) still adds its traffic to the sum.
 */
export async function publishLive(core: Core): Promise<void> {
  for (const [endpoint, cached] of core.cache) {
    const live = cached.live;
    if (live?.kind === 'canary') await publishStats(core, { id: live.id, step_index: live.stepIndex, endpoint });
  }
  const db = core.store.db;
  await db.deleteFrom('rollout_stats')
    .where('rollout_id', 'not in', db.selectFrom('rollouts').select('id').where('state', 'in', ['running', 'paused']))
    .execute();
}
