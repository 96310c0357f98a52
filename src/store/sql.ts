// Small helpers that paper over the two engines where one query code is not enough.
import { sql, type Kysely } from 'kysely';
import type { Database } from './schema.ts';
import type { StoreDialect } from './types.ts';

/** Adds FOR UPDATE on PostgreSQL. SQLite has no row locks and needs none: its transactions
 * already hold the database write lock (BEGIN IMMEDIATE). */
export function lockRows<Q extends { forUpdate(): Q }>(dialect: StoreDialect, query: Q): Q {
  return dialect === 'postgres' ? query.forUpdate() : query;
}

/** True when err is a unique or primary-key violation, from either engine. */
export function isUniqueViolation(err: unknown): boolean {
  if (typeof err !== 'object' || err === null) return false;
  const code = (err as { code?: unknown }).code;
  return code === '23505' || code === 'SQLITE_CONSTRAINT_UNIQUE' || code === 'SQLITE_CONSTRAINT_PRIMARYKEY';
}

/**
 * Lifts the statement and lock timeouts for the rest of a transaction (PostgreSQL; SQLite has none
 * to lift): for work that is long by nature and not on a request's path, such as migrations (a
 * replica waits for another's) and archiving a large range of the audit log.
 */
export async function liftTimeouts(trx: Kysely<Database>, dialect: StoreDialect): Promise<void> {
  if (dialect !== 'postgres') return;
  await sql`set local statement_timeout = 0`.execute(trx);
  await sql`set local lock_timeout = 0`.execute(trx);
}
