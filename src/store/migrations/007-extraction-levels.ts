// Migration 7: extraction levels shared by the replicas of one database and kept across restarts.
// One row per principal and model that any replica escalated. A level an operator lifted stays as a
// row at level none with lifted_at set, so the other replicas learn of the lift and forget their own
// state of the pair (a deleted row would say nothing).
import type { Migration } from './types.ts';

export const extractionLevels: Migration = {
  id: 7,
  name: 'extraction levels',
  async up(db) {
    await db.schema
      .createTable('extraction_levels')
      .addColumn('model', 'text', (c) => c.notNull())
      .addColumn('principal', 'text', (c) => c.notNull())
      .addColumn('level', 'text', (c) => c.notNull())
      .addColumn('updated_at', 'text', (c) => c.notNull())
      .addColumn('updated_by', 'text', (c) => c.notNull())
      .addColumn('reason', 'text')
      .addColumn('lifted_at', 'text')
      .addPrimaryKeyConstraint('extraction_levels_pk', ['model', 'principal'])
      .execute();
  },
};
