// Migration 9: package blobs in the database, so that replicas sharing PostgreSQL need no shared
// volume. A blob is its chunks (at most a few MB each, so no row nears a driver's limits) plus one
// row in `blobs`, written last in the same transaction: a blob without that row does not exist.
import type { Migration } from './types.ts';

export const blobs: Migration = {
  id: 9,
  name: 'blobs',
  async up(db, dialect) {
    const bytes = dialect === 'postgres' ? 'bytea' : 'blob';
    await db.schema
      .createTable('blobs')
      .addColumn('sha256', 'text', (c) => c.primaryKey())
      .addColumn('size', 'bigint', (c) => c.notNull())
      .addColumn('chunks', 'integer', (c) => c.notNull())
      .addColumn('created_at', 'text', (c) => c.notNull())
      .execute();
    await db.schema
      .createTable('blob_chunks')
      .addColumn('sha256', 'text', (c) => c.notNull())
      .addColumn('seq', 'integer', (c) => c.notNull())
      .addColumn('bytes', bytes, (c) => c.notNull())
      .addPrimaryKeyConstraint('blob_chunks_pk', ['sha256', 'seq'])
      .execute();
  },
};
