// The persistence handle every capability receives: a Kysely instance over the one database,
// whichever engine holds it, plus a transaction helper that means the same thing on both.
import type BetterSqlite3 from 'better-sqlite3';
import type { Kysely, Transaction } from 'kysely';
import type { Database } from './schema.ts';

export type StoreDialect = 'sqlite' | 'postgres';

export type StoreOptions =
  | {
      kind: 'sqlite';
      /** The database file; its directory is created (0700) and the file is created 0600. */
      path: string;
    }
  | {
      kind: 'postgres';
      /** postgres://user@host:port/db */
      url: string;
      /** Tables live in this schema (created when missing); default `public`. Lets several
       * installations, or test runs, share one database without seeing each other. */
      schema?: string;
      /** Connections in the pool; default 10. */
      poolSize?: number;
      /** Every statement's time limit in ms (PostgreSQL's statement_timeout); 0 or absent: the server's. */
      statementTimeoutMs?: number;
      /** How long a statement may wait for a lock in ms (lock_timeout); 0 or absent: the server's. */
      lockTimeoutMs?: number;
    };

export type StoreTransaction = Transaction<Database>;

export interface Store {
  readonly dialect: StoreDialect;
  readonly db: Kysely<Database>;
  /** Runs fn in one transaction: committed when it resolves, rolled back when it throws. Inside fn
   * use trx only: on SQLite the one connection is held by the transaction, so a query through db
   * would wait for it forever.
   * On SQLite the transaction takes the write lock at once (BEGIN IMMEDIATE), so two processes on
   * one file queue up instead of failing on a lock upgrade; on PostgreSQL lock the rows you
   * change with lockRows(). */
  transaction<T>(fn: (trx: StoreTransaction) => Promise<T>): Promise<T>;
  /** SQLite only (absent on PostgreSQL): runs fn on the raw better-sqlite3 connection while holding
   * the lock Kysely takes for every query and transaction, so fn never runs inside another
   * transaction and none starts during it. For hot paths that keep statements prepared across calls
   * (the audit writer); everything else uses db and transaction(). fn must be synchronous and must
   * leave no transaction open; the statements it prepares belong to this store and die with it. */
  readonly withSqliteConnection?: <T>(fn: (connection: BetterSqlite3.Database) => T) => Promise<T>;
  /** Ids of the migrations applied to this database, in order. */
  appliedMigrations(): Promise<number[]>;
  close(): Promise<void>;
}
