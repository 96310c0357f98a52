// Small helpers that paper over the two engines where one query code is not enough.
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
