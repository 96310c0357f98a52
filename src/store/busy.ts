// Which store failures mean "the database did not answer in time" rather than "something is broken":
// the client should retry (503), not report a bug (500). PostgreSQL cancels a statement past
// statement_timeout (57014) or a lock wait past lock_timeout (55P03); the pool gives up waiting for a
// connection after connectionTimeoutMillis; SQLite gives up on another process's lock after its busy
// timeout (SQLITE_BUSY).
import { ModelGateError } from '../errors.ts';

const PG_TIMEOUT_CODES = new Set(['57014', '55P03']);
const POOL_TIMEOUT_MESSAGES = new Set(['timeout exceeded when trying to connect', 'Connection terminated due to connection timeout']);

/** Whether err (or an error it wraps) is a store timeout. */
export function isStoreBusy(err: unknown): boolean {
  for (let e = err, depth = 0; e instanceof Error && depth < 5; e = e.cause, depth++) {
    const code = (e as { code?: unknown }).code;
    if (typeof code === 'string' && (PG_TIMEOUT_CODES.has(code) || code === 'SQLITE_BUSY')) return true;
    if (POOL_TIMEOUT_MESSAGES.has(e.message)) return true;
  }
  return false;
}

/** The catalog error for a store timeout, saying what could not be done. */
export function storeBusy(what: string, cause: unknown): ModelGateError {
  return new ModelGateError('MG_STORE_BUSY', `${what}: the database did not answer in time; retry later`, { retryAfterSeconds: 1, cause });
}
