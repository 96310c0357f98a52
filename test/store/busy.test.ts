// isStoreBusy tells a database that did not answer in time (retry: 503) from a fault (500), on the
// real errors each engine and the pool raise, not on hand-made objects.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import BetterSqlite3 from 'better-sqlite3';
import pg from 'pg';
import { ModelGateError } from '../../src/errors.ts';
import { isStoreBusy, storeBusy } from '../../src/store/index.ts';
import { tempDir } from '../fixtures/server.ts';
import { DATABASE_URL } from './targets.ts';

const caught = (f: () => unknown): unknown => {
  try {
    f();
  } catch (err) {
    return err;
  }
  assert.fail('expected a throw');
};

test('SQLite: another connection\'s write lock (SQLITE_BUSY) is a store timeout; a constraint violation is not', () => {
  const file = join(tempDir(), 'busy.db');
  const a = new BetterSqlite3(file);
  const b = new BetterSqlite3(file);
  try {
    a.pragma('journal_mode = WAL');
    b.pragma('busy_timeout = 0');
    a.exec('create table t (id integer primary key)');
    a.exec('begin immediate');
    const busy = caught(() => b.exec('begin immediate'));
    assert.equal((busy as { code?: string }).code, 'SQLITE_BUSY');
    assert.equal(isStoreBusy(busy), true);
    a.exec('insert into t values (1)');
    a.exec('commit');
    assert.equal(isStoreBusy(caught(() => a.exec('insert into t values (1)'))), false);
  } finally {
    a.close();
    b.close();
  }
});

test('PostgreSQL: the pool giving up on a free connection is a store timeout, and so is one wrapped as a cause', async () => {
  const pool = new pg.Pool({ connectionString: DATABASE_URL, max: 1, connectionTimeoutMillis: 100 });
  pool.on('error', () => undefined);
  const held = await pool.connect();
  try {
    const err = await pool.connect().then((c) => c.release(), (e: unknown) => e);
    assert.ok(err instanceof Error, 'the second connect must time out');
    assert.equal(isStoreBusy(err), true);
    const wrapped = new ModelGateError('MG_INTERNAL', 'outer', { cause: err });
    assert.equal(isStoreBusy(wrapped), true);
    const busy = storeBusy('the key could not be saved', err);
    assert.equal(busy.code, 'MG_STORE_BUSY');
    assert.equal(busy.message, 'the key could not be saved: the database did not answer in time; retry later');
    // A syntax error is a fault, not a timeout.
    const syntax = await held.query('selec 1').then(() => undefined, (e: unknown) => e);
    assert.equal(isStoreBusy(syntax), false);
  } finally {
    held.release();
    await pool.end();
  }
});
