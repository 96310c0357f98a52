// Migration 6: routing. Endpoints (the public model names and their traffic policy), rollouts (canary,
// shadow, experiment; their step and statistics, so a restart resumes where it was) and the events
// that record every change and every automatic decision with its reason.
import { sql, type SqlBool } from 'kysely';
import { autoIncrementType, type Migration } from './types.ts';

export const endpoints: Migration = {
  id: 6,
  name: 'endpoints, rollouts and rollout events',
  async up(db, dialect) {
    await db.schema
      .createTable('endpoints')
      .addColumn('name', 'text', (c) => c.primaryKey())
      .addColumn('policy_json', 'text', (c) => c.notNull())
      // Bumped by every change: a replica polling for changes compares one integer.
      .addColumn('revision', 'integer', (c) => c.notNull())
      .addColumn('created_at', 'text', (c) => c.notNull())
      .addColumn('created_by', 'text', (c) => c.notNull())
      .addColumn('updated_at', 'text', (c) => c.notNull())
      .addColumn('updated_by', 'text', (c) => c.notNull())
      .execute();

    await db.schema
      .createTable('rollouts')
      .addColumn('id', autoIncrementType(dialect), (c) => c.primaryKey().$call((b) => (dialect === 'sqlite' ? b.autoIncrement() : b)))
      .addColumn('endpoint', 'text', (c) => c.notNull().references('endpoints.name'))
      .addColumn('kind', 'text', (c) => c.notNull())
      .addColumn('state', 'text', (c) => c.notNull())
      .addColumn('step_index', 'integer', (c) => c.notNull())
      .addColumn('step_started_at', 'text', (c) => c.notNull())
      .addColumn('config_json', 'text', (c) => c.notNull())
      // The current step's outcome statistics, saved at each tick, and the stable version's numbers
      // from the last step that sent it traffic (the yardstick at 100 %).
      .addColumn('stats_json', 'text')
      .addColumn('baseline_json', 'text')
      .addColumn('started_at', 'text', (c) => c.notNull())
      .addColumn('started_by', 'text', (c) => c.notNull())
      .addColumn('updated_at', 'text', (c) => c.notNull())
      .addColumn('ended_at', 'text')
      .addColumn('end_reason', 'text')
      .addCheckConstraint('rollouts_kind', sql`kind in ('canary', 'shadow', 'experiment')`)
      .addCheckConstraint('rollouts_state', sql`state in ('running', 'paused', 'succeeded', 'rolled_back', 'aborted', 'stopped')`)
      .execute();
    // One live rollout per endpoint, whatever two replicas or two operators attempt at once.
    await db.schema
      .createIndex('rollouts_one_active')
      .on('rollouts')
      .column('endpoint')
      .unique()
      .where(sql<SqlBool>`state in ('running', 'paused')`)
      .execute();
    await db.schema.createIndex('rollouts_endpoint').on('rollouts').columns(['endpoint', 'id']).execute();

    // No foreign key: the history outlives the endpoint it talks about.
    await db.schema
      .createTable('rollout_events')
      .addColumn('id', autoIncrementType(dialect), (c) => c.primaryKey().$call((b) => (dialect === 'sqlite' ? b.autoIncrement() : b)))
      .addColumn('endpoint', 'text', (c) => c.notNull())
      .addColumn('rollout_id', 'integer')
      .addColumn('at', 'text', (c) => c.notNull())
      .addColumn('actor', 'text', (c) => c.notNull())
      .addColumn('action', 'text', (c) => c.notNull())
      // 1 when the controller decided (analysis, promotion), 0 when a person or a client asked.
      .addColumn('automatic', 'integer', (c) => c.notNull())
      .addColumn('reason', 'text')
      .addColumn('detail_json', 'text')
      .execute();
    await db.schema.createIndex('rollout_events_endpoint').on('rollout_events').columns(['endpoint', 'id']).execute();
  },
};
