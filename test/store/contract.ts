// The Store contract, run against SQLite and PostgreSQL: migrations (idempotent, concurrent,
// extensible, atomic), transactions, row locks and unique-violation detection.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { fileURLToPath } from 'node:url';
import { sql } from 'kysely';
import { isUniqueViolation, lockRows, MIGRATIONS, openStore, type Migration, type Store } from '../../src/store/index.ts';
import type { StoreTarget } from './targets.ts';

const run = promisify(execFile);
const CHILD = fileURLToPath(new URL('./open-store-child.ts', import.meta.url));

async function openInChild(target: StoreTarget): Promise<number[]> {
  const { stdout } = await run(process.execPath, ['--import', 'tsx', CHILD, JSON.stringify(target.options)]);
  return JSON.parse(stdout) as number[];
}

const now = () => new Date().toISOString();

export function storeContract(makeTarget: () => StoreTarget): void {
  describe('Store contract', () => {
    const target = makeTarget();
    let opened: Store | undefined;
    let openError: unknown;
    // A store that cannot open fails every test with its reason (never a skip or a silent cancel).
    const current = (): Store => {
      if (!opened) throw openError ?? new Error(`the ${target.label} store is not open`);
      return opened;
    };

    before(async () => {
      opened = await target.open().catch((err: unknown) => {
        openError = err;
        return undefined;
      });
    });
    after(async () => {
      await opened?.close();
      await target.cleanup();
    });

    test(`${target.label}: applies every migration once and records it`, async () => {
      const store = current();
      assert.equal(store.dialect, target.options.kind);
      assert.deepEqual(await store.appliedMigrations(), MIGRATIONS.map((m) => m.id));
      const rows = await store.db.selectFrom('schema_migrations').selectAll().execute();
      assert.equal(rows.length, MIGRATIONS.length);
      assert.equal(rows[0].name, MIGRATIONS[0].name);
    });

    test(`${target.label}: reopening applies nothing again and keeps the data`, async () => {
      const store = current();
      await store.db.insertInto('models').values({ name: 'kept', created_at: now(), created_by: 'a', updated_at: now(), updated_by: 'a' }).execute();
      const again = await target.open();
      try {
        assert.deepEqual(await again.appliedMigrations(), MIGRATIONS.map((m) => m.id));
        const kept = await again.db.selectFrom('models').select('name').where('name', '=', 'kept').execute();
        assert.equal(kept.length, 1);
      } finally {
        await again.close();
      }
    });

    test(`${target.label}: processes starting at once on a fresh database all open it, migrations applied once`, async () => {
      const store = current();
      const fresh = makeTarget();
      try {
        const results = await Promise.all([openInChild(fresh), openInChild(fresh), openInChild(fresh)]);
        for (const applied of results) assert.deepEqual(applied, MIGRATIONS.map((m) => m.id));
        const opened = await fresh.open();
        try {
          const rows = await opened.db.selectFrom('schema_migrations').select('id').execute();
          assert.equal(rows.length, MIGRATIONS.length);
        } finally {
          await opened.close();
        }
      } finally {
        await fresh.cleanup();
      }
    });

    test(`${target.label}: a later migration is applied on the next start, after the earlier ones`, async () => {
      const store = current();
      const extra: Migration = {
        id: 9001,
        name: 'test table',
        async up(db) {
          await db.schema.createTable('contract_extra').addColumn('id', 'integer', (c) => c.primaryKey()).execute();
        },
      };
      const extended = await openStore(target.options, [...MIGRATIONS, extra]);
      try {
        assert.deepEqual(await extended.appliedMigrations(), [...MIGRATIONS.map((m) => m.id), 9001]);
        await sql`insert into contract_extra (id) values (1)`.execute(extended.db);
      } finally {
        await extended.close();
      }
      // An older list (a replica not yet upgraded) still opens the newer database.
      const older = await target.open();
      await older.close();
    });

    test(`${target.label}: a failing migration leaves nothing behind and the store does not open`, async () => {
      const store = current();
      const broken: Migration[] = [
        ...MIGRATIONS,
        {
          id: 9100,
          name: 'half done',
          async up(db) {
            await db.schema.createTable('half_done').addColumn('id', 'integer').execute();
            await sql`select * from no_such_table`.execute(db);
          },
        },
      ];
      await assert.rejects(openStore(target.options, broken));
      const tables = await sql<{ n: number }>`select count(*) as n from schema_migrations where id = 9100`.execute(store.db);
      assert.equal(Number(tables.rows[0].n), 0);
      await assert.rejects(sql`select * from half_done`.execute(store.db));
    });

    test(`${target.label}: migration lists out of order are refused`, async () => {
      const store = current();
      const bad: Migration[] = [{ ...MIGRATIONS[0], id: 2 }, { ...MIGRATIONS[0], id: 1 }];
      await assert.rejects(openStore(target.options, bad), { code: 'MG_INTERNAL', message: /out of order/ });
    });

    test(`${target.label}: transaction commits on success and rolls back on a throw`, async () => {
      const store = current();
      const row = (name: string) => ({ name, created_at: now(), created_by: 'a', updated_at: now(), updated_by: 'a' });
      await store.transaction(async (trx) => {
        await trx.insertInto('models').values(row('committed')).execute();
      });
      await assert.rejects(
        store.transaction(async (trx) => {
          await trx.insertInto('models').values(row('rolled-back')).execute();
          throw new Error('boom');
        }),
        /boom/,
      );
      const names = (await store.db.selectFrom('models').select('name').execute()).map((r) => r.name);
      assert.ok(names.includes('committed'));
      assert.ok(!names.includes('rolled-back'));
    });

    test(`${target.label}: unique violations are recognised; lockRows runs on both engines`, async () => {
      const store = current();
      const row = { name: 'dup', created_at: now(), created_by: 'a', updated_at: now(), updated_by: 'a' };
      await store.db.insertInto('models').values(row).execute();
      const err = await store.db.insertInto('models').values(row).execute().then(() => undefined, (e: unknown) => e);
      assert.ok(isUniqueViolation(err), `not recognised: ${String(err)}`);
      assert.equal(isUniqueViolation(new Error('x')), false);
      const locked = await store.transaction((trx) => lockRows(store.dialect, trx.selectFrom('models').select('name').where('name', '=', 'dup')).execute());
      assert.deepEqual(locked, [{ name: 'dup' }]);
    });

    test(`${target.label}: foreign keys are enforced`, async () => {
      const store = current();
      await assert.rejects(
        store.db
          .insertInto('model_aliases')
          .values({ model_name: 'nobody', alias: 'x', version: '1', updated_at: now(), updated_by: 'a' })
          .execute(),
      );
    });
  });
}
