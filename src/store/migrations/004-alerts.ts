// Migration 4: alerting. Custom rules added through the admin API, every state transition of every
// alert instance, and the delivery of each notification (attempts, last status, given up or not).
import type { Migration } from './types.ts';
import { autoIncrementType } from './types.ts';

export const alerts: Migration = {
  id: 4,
  name: 'alert rules, events and notifications',
  async up(db, dialect) {
    await db.schema
      .createTable('alert_rules')
      .addColumn('name', 'text', (c) => c.primaryKey())
      .addColumn('rule_json', 'text', (c) => c.notNull())
      .addColumn('updated_at', 'text', (c) => c.notNull())
      .addColumn('updated_by', 'text', (c) => c.notNull())
      .execute();

    // seq orders the history (times can tie within one evaluation); id is the UUID the engine made
    // before writing, so a notification can leave even when this insert fails.
    await db.schema
      .createTable('alert_events')
      .addColumn('seq', autoIncrementType(dialect), (c) => c.primaryKey().$call((b) => (dialect === 'sqlite' ? b.autoIncrement() : b)))
      .addColumn('id', 'text', (c) => c.notNull().unique())
      .addColumn('instance_key', 'text', (c) => c.notNull())
      .addColumn('rule', 'text', (c) => c.notNull())
      .addColumn('labels_json', 'text', (c) => c.notNull())
      .addColumn('state', 'text', (c) => c.notNull())
      .addColumn('severity', 'text', (c) => c.notNull())
      .addColumn('value', 'double precision')
      .addColumn('description', 'text', (c) => c.notNull())
      .addColumn('active_at', 'text', (c) => c.notNull())
      .addColumn('fired_at', 'text')
      .addColumn('resolved_at', 'text')
      .addColumn('at', 'text', (c) => c.notNull())
      .execute();
    await db.schema.createIndex('alert_events_at').on('alert_events').columns(['at', 'seq']).execute();
    await db.schema.createIndex('alert_events_rule').on('alert_events').columns(['rule', 'seq']).execute();
    await db.schema.createIndex('alert_events_instance').on('alert_events').columns(['instance_key', 'seq']).execute();

    // No foreign key to alert_events: a delivery is recorded even when its event's insert failed
    // (a database outage is exactly when alerts must still go out).
    await db.schema
      .createTable('alert_notifications')
      .addColumn('id', 'text', (c) => c.primaryKey())
      .addColumn('event_id', 'text', (c) => c.notNull())
      .addColumn('target', 'text', (c) => c.notNull())
      .addColumn('attempts', 'integer', (c) => c.notNull())
      .addColumn('last_status', 'integer')
      .addColumn('last_error', 'text')
      .addColumn('state', 'text', (c) => c.notNull())
      .addColumn('delivered_at', 'text')
      .addColumn('updated_at', 'text', (c) => c.notNull())
      .execute();
    await db.schema.createIndex('alert_notifications_event').on('alert_notifications').column('event_id').execute();
  },
};
