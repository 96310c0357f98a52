// Applies the missing migrations, in order, in one transaction, and records each in
// schema_migrations. Safe to run at every start and from several replicas at once: on PostgreSQL
// an advisory lock makes the second replica wait and then find nothing left to do; on SQLite the
// transaction takes the write lock first (BEGIN IMMEDIATE) to the same effect.
import { createHash } from 'node:crypto';
import { sql, type Kysely } from 'kysely';
import { ModelGateError } from '../errors.ts';
import type { Migration } from './migrations/index.ts';
import type { Database } from './schema.ts';
import { liftTimeouts } from './sql.ts';
import type { StoreDialect } from './types.ts';

export interface MigrateOptions {
  dialect: StoreDialect;
  /** PostgreSQL schema to create when missing (already on the connections' search_path). */
  schema?: string;
}

export async function migrate(db: Kysely<Database>, migrations: readonly Migration[], options: MigrateOptions): Promise<number[]> {
  checkOrder(migrations);
  return db.transaction().execute(async (trx) => {
    // A replica waits here for as long as another takes to migrate, and an index over a large table
    // may take minutes: the request-sized time limits do not apply.
    await liftTimeouts(trx, options.dialect);
    if (options.dialect === 'postgres') {
      // Transaction-scoped: released by commit or rollback, even if this process dies.
      await sql`select pg_advisory_xact_lock(${lockKey(options.schema ?? 'public')}::bigint)`.execute(trx);
      if (options.schema) await sql`create schema if not exists ${sql.id(options.schema)}`.execute(trx);
    }
    await trx.schema
      .createTable('schema_migrations')
      .ifNotExists()
      .addColumn('id', 'integer', (c) => c.primaryKey())
      .addColumn('name', 'text', (c) => c.notNull())
      .addColumn('applied_at', 'text', (c) => c.notNull())
      .execute();
    const rows = await trx.selectFrom('schema_migrations').select('id').execute();
    const applied = new Set(rows.map((r) => Number(r.id)));
    for (const migration of migrations) {
      if (applied.has(migration.id)) continue;
      await migration.up(trx, options.dialect);
      await trx
        .insertInto('schema_migrations')
        .values({ id: migration.id, name: migration.name, applied_at: new Date().toISOString() })
        .execute();
      applied.add(migration.id);
    }
    // Ids this code does not know are left alone: migrations only add, so an older replica keeps
    // working during a rolling upgrade.
    return [...applied].sort((a, b) => a - b);
  });
}

function checkOrder(migrations: readonly Migration[]): void {
  let previous = 0;
  for (const m of migrations) {
    if (!Number.isSafeInteger(m.id) || m.id <= previous) {
      throw new ModelGateError('MG_INTERNAL', `migration ${m.id} (${m.name}) is out of order: ids must increase from 1`);
    }
    previous = m.id;
  }
}

/** A stable 63-bit key per schema, so installations sharing a database do not wait on each other. */
function lockKey(schema: string): string {
  const digest = createHash('sha256').update(`modelgate:migrations:${schema}`).digest();
  return (digest.readBigUInt64BE(0) & 0x7fffffffffffffffn).toString();
}
