// The Store contract on SQLite, and what only SQLite has: the file's mode, WAL, pragmas.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { statSync } from 'node:fs';
import { join } from 'node:path';
import { sql } from 'kysely';
import { openStore } from '../../src/store/index.ts';
import { storeContract } from './contract.ts';
import { sqliteTarget } from './targets.ts';

storeContract(sqliteTarget);

test('sqlite: the database file and its folder are private; WAL, busy_timeout and foreign keys are on', async () => {
  const target = sqliteTarget();
  try {
    const store = await target.open();
    try {
      const path = target.options.kind === 'sqlite' ? target.options.path : '';
      assert.equal(statSync(path).mode & 0o777, 0o600);
      assert.equal(statSync(join(path, '..')).mode & 0o777, 0o700);
      assert.equal(statSync(`${path}-wal`).mode & 0o777, 0o600);
      const mode = await sql<{ journal_mode: string }>`pragma journal_mode`.execute(store.db);
      assert.equal(mode.rows[0].journal_mode, 'wal');
      const fk = await sql<{ foreign_keys: number }>`pragma foreign_keys`.execute(store.db);
      assert.equal(fk.rows[0].foreign_keys, 1);
      const busy = await sql<{ timeout: number }>`pragma busy_timeout`.execute(store.db);
      assert.ok(busy.rows[0].timeout > 0);
    } finally {
      await store.close();
    }
  } finally {
    await target.cleanup();
  }
});

test('sqlite: an in-memory or empty path is refused', async () => {
  await assert.rejects(openStore({ kind: 'sqlite', path: ':memory:' }), { code: 'MG_CONFIG_INVALID' });
  await assert.rejects(openStore({ kind: 'sqlite', path: '' }), { code: 'MG_CONFIG_INVALID' });
});
