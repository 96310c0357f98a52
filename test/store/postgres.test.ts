// The Store contract on the real PostgreSQL (DATABASE_URL or the local server), each run in its own
// schema; plus schema isolation and the unreachable-server message.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { sql } from 'kysely';
import { MIGRATIONS, openStore } from '../../src/store/index.ts';
import { storeContract } from './contract.ts';
import { DATABASE_URL, postgresTarget } from './targets.ts';

storeContract(postgresTarget);

test('postgres: tables live in the chosen schema, and two schemas do not see each other', async () => {
  const a = postgresTarget();
  const b = postgresTarget();
  try {
    const storeA = await a.open();
    const storeB = await b.open();
    try {
      const at = new Date().toISOString();
      await storeA.db.insertInto('models').values({ name: 'only-in-a', created_at: at, created_by: 't', updated_at: at, updated_by: 't' }).execute();
      assert.equal((await storeB.db.selectFrom('models').selectAll().execute()).length, 0);
      const schema = a.options.kind === 'postgres' ? a.options.schema : '';
      const found = await sql<{ table_schema: string }>`select table_schema from information_schema.tables where table_name = 'models' and table_schema = ${schema}`.execute(storeA.db);
      assert.equal(found.rows.length, 1);
    } finally {
      await storeA.close();
      await storeB.close();
    }
  } finally {
    await a.cleanup();
    await b.cleanup();
  }
});

test('postgres: an unreachable server is a clear MG_CONFIG_INVALID naming the URL without its password', async () => {
  const url = new URL(DATABASE_URL);
  url.port = '1';
  url.password = 'hunter2';
  await assert.rejects(openStore({ kind: 'postgres', url: url.toString(), schema: 'mg_test_unreachable' }), (err: Error & { code?: string }) => {
    assert.equal(err.code, 'MG_CONFIG_INVALID');
    assert.match(err.message, /unreachable/);
    assert.doesNotMatch(err.message, /hunter2/);
    return true;
  });
});

test('postgres: a schema name that is not a plain identifier is refused', async () => {
  await assert.rejects(openStore({ kind: 'postgres', url: DATABASE_URL, schema: 'x; drop table y' }), { code: 'MG_CONFIG_INVALID' });
});

test('postgres: three stores opened at once in one process on a fresh schema all migrate cleanly', async () => {
  const target = postgresTarget();
  try {
    const stores = await Promise.all([target.open(), target.open(), target.open()]);
    try {
      const rows = await stores[0].db.selectFrom('schema_migrations').select('id').execute();
      assert.equal(rows.length, MIGRATIONS.length, 'every migration applied exactly once');
    } finally {
      await Promise.all(stores.map((s) => s.close()));
    }
  } finally {
    await target.cleanup();
  }
});
