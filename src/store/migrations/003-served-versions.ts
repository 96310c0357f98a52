// Migration 3: versions an operator loaded explicitly (besides each model's production version),
// so a restart, or another replica, serves the same set.
import type { Migration } from './types.ts';

export const servedVersions: Migration = {
  id: 3,
  name: 'explicitly served versions',
  async up(db) {
    await db.schema
      .createTable('served_versions')
      .addColumn('model_name', 'text', (c) => c.notNull())
      .addColumn('version', 'text', (c) => c.notNull())
      .addColumn('loaded_at', 'text', (c) => c.notNull())
      .addColumn('loaded_by', 'text', (c) => c.notNull())
      .addPrimaryKeyConstraint('served_versions_pk', ['model_name', 'version'])
      .addForeignKeyConstraint('served_versions_version', ['model_name', 'version'], 'model_versions', ['model_name', 'version'])
      .execute();
  },
};
