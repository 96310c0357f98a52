// Migration 10: each replica's counts of a canary step, so the step is judged on the traffic of every
// replica rather than on the share of the one that ticks. One row per (rollout, step, replica); a
// replica id is fresh per process, so a restart adds a row instead of overwriting what it counted.
import type { Migration } from './types.ts';

export const rolloutStats: Migration = {
  id: 10,
  name: 'rollout stats per replica',
  async up(db) {
    await db.schema
      .createTable('rollout_stats')
      .addColumn('rollout_id', 'integer', (c) => c.notNull())
      .addColumn('step_index', 'integer', (c) => c.notNull())
      .addColumn('replica', 'text', (c) => c.notNull())
      .addColumn('stats_json', 'text', (c) => c.notNull())
      .addColumn('updated_at', 'text', (c) => c.notNull())
      .addPrimaryKeyConstraint('rollout_stats_pk', ['rollout_id', 'step_index', 'replica'])
      .execute();
  },
};
