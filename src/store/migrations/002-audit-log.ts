// Migration 2: the tamper-evident audit log: hash-chained records, signed checkpoints, and the
// ranges archived by retention. seq is assigned by the writer, not the database: the chain needs
// a gap-free order, and an auto-increment key leaves gaps when a transaction rolls back.
import { sql } from 'kysely';
import type { Migration } from './types.ts';

export const auditLog: Migration = {
  id: 2,
  name: 'audit log, checkpoints and archives',
  async up(db, dialect) {
    // INTEGER PRIMARY KEY is SQLite's rowid itself: no second index to maintain on every append.
    const seqType = dialect === 'sqlite' ? 'integer' : 'bigint';
    await db.schema
      .createTable('audit_records')
      .addColumn('seq', seqType, (c) => c.primaryKey())
      .addColumn('time', 'text', (c) => c.notNull())
      .addColumn('kind', 'text', (c) => c.notNull())
      .addColumn('request_id', 'text')
      .addColumn('principal', 'text')
      .addColumn('endpoint', 'text')
      .addColumn('model', 'text')
      .addColumn('version', 'text')
      .addColumn('route', 'text')
      .addColumn('input_sha256', 'text')
      .addColumn('output_json', 'text')
      .addColumn('flags_json', 'text', (c) => c.notNull())
      .addColumn('status', 'integer')
      .addColumn('latency_ms', 'double precision')
      .addColumn('detail_json', 'text')
      .addColumn('payload_json', 'text')
      .addColumn('prev_hash', 'text', (c) => c.notNull())
      .addColumn('hash', 'text', (c) => c.notNull())
      // No check on kind: a check would make a forged kind fail the insert instead of the verifier.
      .execute();
    // The auditor's queries: each filter walks its index in seq order (the cursor).
    await db.schema.createIndex('audit_records_time').on('audit_records').columns(['time', 'seq']).execute();
    await db.schema.createIndex('audit_records_principal').on('audit_records').columns(['principal', 'seq']).execute();
    await db.schema.createIndex('audit_records_model').on('audit_records').columns(['model', 'seq']).execute();
    await db.schema.createIndex('audit_records_request').on('audit_records').column('request_id').execute();
    await db.schema.createIndex('audit_records_kind').on('audit_records').columns(['kind', 'seq']).execute();
    // Flagged records are rare: a partial index keeps "show me the flagged ones" cheap.
    await db.schema
      .createIndex('audit_records_flagged')
      .on('audit_records')
      .column('seq')
      .where(sql.ref('flags_json'), '<>', '[]')
      .execute();

    await db.schema
      .createTable('audit_checkpoints')
      .addColumn('seq', 'bigint', (c) => c.primaryKey())
      .addColumn('head_hash', 'text', (c) => c.notNull())
      .addColumn('time', 'text', (c) => c.notNull())
      .addColumn('key_id', 'text', (c) => c.notNull())
      .addColumn('signature', 'text', (c) => c.notNull())
      .execute();

    await db.schema
      .createTable('audit_archives')
      .addColumn('to_seq', 'bigint', (c) => c.primaryKey())
      .addColumn('from_seq', 'bigint', (c) => c.notNull())
      .addColumn('file', 'text', (c) => c.notNull())
      .addColumn('file_sha256', 'text', (c) => c.notNull())
      .addColumn('head_hash', 'text', (c) => c.notNull())
      .addColumn('records', 'bigint', (c) => c.notNull())
      .addColumn('archived_at', 'text', (c) => c.notNull())
      .addColumn('archived_by', 'text', (c) => c.notNull())
      .execute();
  },
};
