// openStore: connect to SQLite or PostgreSQL, bring the schema up to date, hand back a Store.
import type BetterSqlite3 from 'better-sqlite3';
import type { Kysely } from 'kysely';
import { migrate } from './migrate.ts';
import { MIGRATIONS, type Migration } from './migrations/index.ts';
import { checkReachable, openPostgres } from './postgres.ts';
import type { Database } from './schema.ts';
import { openSqlite } from './sqlite.ts';
import type { Store, StoreDialect, StoreOptions } from './types.ts';

export async function openStore(options: StoreOptions, migrations: readonly Migration[] = MIGRATIONS): Promise<Store> {
  let db: Kysely<Database>;
  let dialect: StoreDialect;
  let withSqliteConnection: (<T>(fn: (connection: BetterSqlite3.Database) => T) => Promise<T>) | undefined;
  if (options.kind === 'sqlite') {
    ({ db, withConnection: withSqliteConnection } = openSqlite(options.path));
    dialect = 'sqlite';
  } else {
    const opened = openPostgres(options.url, options);
    db = opened.db;
    dialect = 'postgres';
    try {
      await checkReachable(opened.pool, options.url);
    } catch (err) {
      await db.destroy();
      throw err;
    }
  }
  try {
    await migrate(db, migrations, { dialect, ...(options.kind === 'postgres' && options.schema ? { schema: options.schema } : {}) });
  } catch (err) {
    await db.destroy();
    throw err;
  }
  let closed = false;
  return {
    dialect,
    db,
    transaction: (fn) => db.transaction().execute(fn),
    ...(withSqliteConnection ? { withSqliteConnection } : {}),
    async appliedMigrations() {
      const rows = await db.selectFrom('schema_migrations').select('id').orderBy('id').execute();
      return rows.map((r) => Number(r.id));
    },
    async close() {
      if (closed) return;
      closed = true;
      await db.destroy();
    },
  };
}
