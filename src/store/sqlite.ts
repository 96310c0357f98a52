// The SQLite store: one file, WAL, a busy timeout, foreign keys on, created 0600 in a 0700 folder.
// Transactions begin IMMEDIATE so a writer takes the lock up front; Kysely's deferred BEGIN would
// let two processes both read and then fail with SQLITE_BUSY when one of them upgrades to write.
import { mkdirSync, openSync, closeSync, chmodSync } from 'node:fs';
import { dirname } from 'node:path';
import BetterSqlite3 from 'better-sqlite3';
import {
  CompiledQuery, Kysely, SqliteAdapter, SqliteDriver, SqliteIntrospector, SqliteQueryCompiler,
  type DatabaseConnection, type Dialect,
} from 'kysely';
import { ModelGateError } from '../errors.ts';
import type { Database } from './schema.ts';

/** How long a statement waits for another process's write lock before failing. */
const BUSY_TIMEOUT_MS = 5000;

class ImmediateSqliteDriver extends SqliteDriver {
  override async beginTransaction(connection: DatabaseConnection): Promise<void> {
    await connection.executeQuery(CompiledQuery.raw('begin immediate'));
  }
}

export interface OpenedSqlite {
  db: Kysely<Database>;
  /** Store.withSqliteConnection: fn on the raw connection, under the lock Kysely takes for it. */
  withConnection<T>(fn: (connection: BetterSqlite3.Database) => T): Promise<T>;
}

export function openSqlite(path: string): OpenedSqlite {
  if (path === '' || path === ':memory:') {
    throw new ModelGateError('MG_CONFIG_INVALID', 'the SQLite store needs a file path');
  }
  mkdirSync(dirname(path), { recursive: true, mode: 0o700 });
  createPrivateFile(path);
  let database: BetterSqlite3.Database;
  try {
    database = new BetterSqlite3(path);
    database.pragma('journal_mode = WAL');
    database.pragma(`busy_timeout = ${BUSY_TIMEOUT_MS}`);
    database.pragma('foreign_keys = ON');
    database.pragma('synchronous = NORMAL');
  } catch (err) {
    throw new ModelGateError('MG_CONFIG_INVALID', `the SQLite database ${path} cannot be opened`, { cause: err });
  }
  const config = { database };
  const dialect: Dialect = {
    createAdapter: () => new SqliteAdapter(),
    createDriver: () => new ImmediateSqliteDriver(config),
    createIntrospector: (db) => new SqliteIntrospector(db),
    createQueryCompiler: () => new SqliteQueryCompiler(),
  };
  const db = new Kysely<Database>({ dialect });
  // Kysely's SQLite driver has one connection behind a mutex; db.connection() holds that mutex for
  // the callback, so fn waits for a transaction in progress instead of running inside it.
  const withConnection = <T>(fn: (connection: BetterSqlite3.Database) => T): Promise<T> =>
    db.connection().execute(async () => {
      const result = fn(database);
      if (typeof (result as { then?: unknown } | null)?.then === 'function') {
        throw new TypeError('withSqliteConnection needs a synchronous function: the lock is released when it returns');
      }
      return result;
    });
  return { db, withConnection };
}

/** Creates the file 0600 before SQLite opens it (SQLite would use 0644), and gives its -wal and
 * -shm files the same mode, which SQLite copies from the database file. */
function createPrivateFile(path: string): void {
  let fd: number;
  try {
    fd = openSync(path, 'wx', 0o600);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'EEXIST') return;
    throw new ModelGateError('MG_CONFIG_INVALID', `the SQLite database ${path} cannot be created`, { cause: err });
  }
  closeSync(fd);
  chmodSync(path, 0o600);
}
