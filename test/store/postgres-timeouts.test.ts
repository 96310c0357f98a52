// PostgreSQL time limits (databaseStatementTimeoutMs, databaseLockTimeoutMs) on the real server: a
// statement stuck in the server or waiting on another session's lock fails its caller as a store
// timeout, which the server answers with 503 and Retry-After, and frees its connection; the audit
// chain loses nothing; migrations, which a replica may wait on for long, run past both limits.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { sql } from 'kysely';
import { AuditLog, verifyAuditLog } from '../../src/audit/index.ts';
import { lockChain } from '../../src/audit/rows.ts';
import { isStoreBusy, MIGRATIONS, openStore, type Migration, type StoreOptions } from '../../src/store/index.ts';
import { entry, testKey } from '../audit/helpers.ts';
import { whileHeld } from '../fixtures/locks.ts';
import { postgresTarget, type StoreTarget } from './targets.ts';

type Limits = { statementTimeoutMs?: number; lockTimeoutMs?: number; poolSize?: number };
const limited = (t: StoreTarget, limits: Limits): StoreOptions => ({ ...(t.options as Extract<StoreOptions, { kind: 'postgres' }>), ...limits });

async function withTarget(fn: (t: StoreTarget) => Promise<void>): Promise<void> {
  const t = postgresTarget();
  try {
    await fn(t);
  } finally {
    await t.cleanup();
  }
}

test('postgres: a statement past statementTimeoutMs fails as a store timeout, and its connection serves the next query', () =>
  withTarget(async (t) => {
    // One connection: the query after the timeout can only run if the stuck one gave it back.
    const store = await openStore(limited(t, { statementTimeoutMs: 200, poolSize: 1 }));
    try {
      const err = await sql`select pg_sleep(30)`.execute(store.db).then(() => undefined, (e: unknown) => e);
      assert.ok(err instanceof Error, 'a 30 s statement under a 200 ms limit must fail');
      assert.equal((err as { code?: string }).code, '57014', 'cancelled by statement_timeout');
      assert.equal(isStoreBusy(err), true);
      const row = await sql<{ one: number }>`select 1 as one`.execute(store.db);
      assert.equal(row.rows[0].one, 1);
    } finally {
      await store.close();
    }
  }));

test('postgres: an audit append waiting past lockTimeoutMs fails as MG_STORE_BUSY; the chain goes on intact once the lock is free', () =>
  withTarget(async (t) => {
    const holder = await t.open(); // another replica's writer, without limits
    const store = await openStore(limited(t, { lockTimeoutMs: 200 }));
    const key = testKey();
    const log = await AuditLog.open(store, { signer: key.signer, flushIntervalMs: 0 });
    try {
      assert.equal((await log.append(entry(1))).seq, 1);
      await whileHeld(holder, (trx) => lockChain(trx, 'postgres'), () =>
        assert.rejects(log.append(entry(2)), (err: Error & { code?: string; retryAfterSeconds?: number }) => {
          assert.equal(err.code, 'MG_STORE_BUSY');
          assert.equal(err.message, 'the audit record could not be committed: the database did not answer in time; retry later');
          assert.equal(err.retryAfterSeconds, 1);
          return true;
        }));
      assert.equal((await log.append(entry(3))).seq, 2, 'the refused record took no place in the chain');
      await log.close();
      const report = await verifyAuditLog(store, { publicKeys: [key.publicKey] });
      assert.equal(report.ok, true, JSON.stringify(report.firstBroken));
      assert.equal(report.lastSeq, 2);
      assert.equal(report.anchoredThrough, 2, 'the closing checkpoint signs both records');
    } finally {
      await log.close().catch(() => undefined);
      await store.close();
      await holder.close();
    }
  }));

test('postgres: migrations run past both limits: a slow step completes, and a replica waits for another\'s migration', () =>
  withTarget(async (t) => {
    const slow: Migration = { id: 10_000, name: 'slow step', up: async (db) => void (await sql`select pg_sleep(0.6)`.execute(db)) };
    const options = limited(t, { statementTimeoutMs: 200, lockTimeoutMs: 200 });
    // Started together: whichever migrates second waits on the migration lock while the other
    // sleeps, longer than lockTimeoutMs; its own sleep is then already applied and skipped.
    const stores = await Promise.all([openStore(options, [...MIGRATIONS, slow]), openStore(options, [...MIGRATIONS, slow])]);
    try {
      for (const s of stores) assert.ok((await s.appliedMigrations()).includes(10_000));
      // The limits still hold outside the migration transaction.
      await assert.rejects(sql`select pg_sleep(30)`.execute(stores[0].db), (err) => isStoreBusy(err));
    } finally {
      for (const s of stores) await s.close();
    }
  }));
