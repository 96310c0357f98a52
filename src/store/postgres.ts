// The PostgreSQL store: a pg Pool whose every connection has search_path set to the chosen
// schema at connect time, so the same unqualified queries run in any schema.
import { Kysely, PostgresDialect } from 'kysely';
import pg from 'pg';
import { ModelGateError } from '../errors.ts';
import type { Database } from './schema.ts';

/** Plain identifiers only: the schema name ends up in SQL and in connection options. */
export const SCHEMA_PATTERN = /^[a-z_][a-z0-9_]{0,62}$/;

export interface PostgresOptions {
  schema?: string;
  poolSize?: number;
  /** statement_timeout and lock_timeout of every connection, in ms; 0 or absent: the server's own. */
  statementTimeoutMs?: number;
  lockTimeoutMs?: number;
}

export function openPostgres(url: string, options: PostgresOptions = {}): { db: Kysely<Database>; pool: pg.Pool } {
  const { schema, poolSize = 10 } = options;
  if (schema !== undefined && !SCHEMA_PATTERN.test(schema)) {
    throw new ModelGateError('MG_CONFIG_INVALID', `PostgreSQL schema '${schema}' must be lower-case letters, digits or '_'`);
  }
  const pool = new pg.Pool({
    connectionString: url,
    max: poolSize,
    // Waiting for a connection (or a free slot of the pool) fails after 10 s instead of queueing
    // every caller behind a stalled server; queries already sent are not cut (migrations, archives
    // and package uploads may take long). Keep-alive lets a dead server's sockets be noticed.
    connectionTimeoutMillis: 10_000,
    keepAlive: true,
    // Settings given at connection start: no window where a query could run before a SET has landed.
    ...connectionSettings(options),
  });
  // An idle client losing its connection would otherwise crash the process with an unhandled error.
  pool.on('error', () => undefined);
  return { db: new Kysely<Database>({ dialect: new PostgresDialect({ pool }) }), pool };
}

/**
 * search_path (with `public` behind the schema, for extensions), and time limits so that a statement
 * stuck inside the server, or waiting on a lock another session holds, fails its caller (503,
 * MG_STORE_BUSY) and frees its pool slot instead of holding both for ever. Long work that is not on a
 * request's path lifts them for its transaction (liftTimeouts).
 */
function connectionSettings(options: PostgresOptions): { options?: string } {
  const settings: string[] = [];
  if (options.schema) settings.push(`-c search_path=${options.schema},public`);
  if (options.statementTimeoutMs) settings.push(`-c statement_timeout=${Math.trunc(options.statementTimeoutMs)}`);
  if (options.lockTimeoutMs) settings.push(`-c lock_timeout=${Math.trunc(options.lockTimeoutMs)}`);
  return settings.length > 0 ? { options: settings.join(' ') } : {};
}

/** Checks the server answers, naming the URL without its password when it does not. */
export async function checkReachable(pool: pg.Pool, url: string): Promise<void> {
  try {
    const client = await pool.connect();
    client.release();
  } catch (err) {
    throw new ModelGateError('MG_CONFIG_INVALID', `PostgreSQL at ${redact(url)} is unreachable: ${(err as Error).message}`, { cause: err });
  }
}

export function redact(url: string): string {
  try {
    const parsed = new URL(url);
    if (parsed.password) parsed.password = '***';
    return parsed.toString();
  } catch {
    return '(unparsable URL)';
  }
}
