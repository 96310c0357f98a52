// Migration 1: models, their versions, aliases and the history of every change.
// The database, not only the code, holds the invariants that concurrent replicas could break:
// one production version per model, aliases only to existing versions, unique rollback positions.
import { sql } from 'kysely';
import { autoIncrementType, type Migration } from './types.ts';

export const registryVersions: Migration = {
  id: 1,
  name: 'registry versions, aliases and history',
  async up(db, dialect) {
    await db.schema
      .createTable('models')
      .addColumn('name', 'text', (c) => c.primaryKey())
      .addColumn('created_at', 'text', (c) => c.notNull())
      .addColumn('created_by', 'text', (c) => c.notNull())
      .addColumn('updated_at', 'text', (c) => c.notNull())
      .addColumn('updated_by', 'text', (c) => c.notNull())
      .execute();

    await db.schema
      .createTable('model_versions')
      .addColumn('model_name', 'text', (c) => c.notNull().references('models.name'))
      .addColumn('version', 'text', (c) => c.notNull())
      .addColumn('package_sha256', 'text', (c) => c.notNull())
      .addColumn('package_size', 'integer', (c) => c.notNull())
      .addColumn('signer_key_id', 'text', (c) => c.notNull())
      .addColumn('manifest_json', 'text', (c) => c.notNull())
      .addColumn('validation_json', 'text', (c) => c.notNull())
      .addColumn('stage', 'text', (c) => c.notNull())
      .addColumn('promoted_seq', 'integer')
      .addColumn('created_at', 'text', (c) => c.notNull())
      .addColumn('created_by', 'text', (c) => c.notNull())
      .addColumn('updated_at', 'text', (c) => c.notNull())
      .addColumn('updated_by', 'text', (c) => c.notNull())
      .addPrimaryKeyConstraint('model_versions_pk', ['model_name', 'version'])
      .addCheckConstraint('model_versions_stage', sql`stage in ('registered', 'staging', 'production', 'archived')`)
      .addUniqueConstraint('model_versions_promoted_seq', ['model_name', 'promoted_seq'])
      .execute();
    // At most one production version per model, whatever two replicas attempt at once.
    await db.schema
      .createIndex('model_versions_one_production')
      .on('model_versions')
      .column('model_name')
      .unique()
      .where(sql.ref('stage'), '=', 'production')
      .execute();
    // Blob garbage collection asks "does any other version use this package?".
    await db.schema.createIndex('model_versions_package').on('model_versions').column('package_sha256').execute();

    await db.schema
      .createTable('model_aliases')
      .addColumn('model_name', 'text', (c) => c.notNull())
      .addColumn('alias', 'text', (c) => c.notNull())
      .addColumn('version', 'text', (c) => c.notNull())
      .addColumn('updated_at', 'text', (c) => c.notNull())
      .addColumn('updated_by', 'text', (c) => c.notNull())
      .addPrimaryKeyConstraint('model_aliases_pk', ['model_name', 'alias'])
      .addForeignKeyConstraint('model_aliases_version', ['model_name', 'version'], 'model_versions', ['model_name', 'version'])
      .execute();

    // No foreign key to models: history outlives the versions it talks about.
    await db.schema
      .createTable('model_history')
      .addColumn('id', autoIncrementType(dialect), (c) => c.primaryKey().$call((b) => (dialect === 'sqlite' ? b.autoIncrement() : b)))
      .addColumn('model_name', 'text', (c) => c.notNull())
      .addColumn('version', 'text')
      .addColumn('action', 'text', (c) => c.notNull())
      .addColumn('actor', 'text', (c) => c.notNull())
      .addColumn('at', 'text', (c) => c.notNull())
      .addColumn('before_json', 'text')
      .addColumn('after_json', 'text')
      .addColumn('reason', 'text')
      .execute();
    await db.schema.createIndex('model_history_model').on('model_history').columns(['model_name', 'id']).execute();
  },
};
