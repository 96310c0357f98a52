// The SQLite write path of the audit log (statements prepared once, one synchronous IMMEDIATE
// transaction per batch) against the Kysely path it replaces: the same rows and checkpoints, one
// chain across paths, reopens, connections and processes, and a failed flush that leaves nothing.
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { sql } from 'kysely';
import { AuditLog, loadOrCreateAuditSigningKey, verifyAuditLog, type AuditEntry } from '../../src/audit/index.ts';
import type { Store } from '../../src/store/index.ts';
import { sqliteTarget, type StoreTarget } from '../store/targets.ts';
import { runChild } from './contract-write.ts';
import { entry, testKey, type TestKey } from './helpers.ts';

const FIXED_NOW = () => new Date(Date.UTC(2025, 5, 1, 12, 0, 0));

/** Entries with every kind of column: nulls, JSON, flags, payloads, integer and fractional numbers. */
function varied(i: number): AuditEntry {
  if (i % 4 === 0) return { kind: 'admin', time: entry(i).time, principal: 'root', detail: { action: 'alias.set', target: `spam@${i}`, after: 'production', reason: 'rollout' } };
  if (i % 4 === 1) return entry(i, { flags: ['rate-limited', 'out-of-distribution'], latencyMs: 3, status: 429 });
  if (i % 4 === 2) return entry(i, { payload: { text: `hello ${i}`, n: [1, 2.5, null] }, output: null });
  return { kind: 'rejected', time: entry(i).time };
}

/** Counts the flushes that go through the raw connection. */
function spied(store: Store): { store: Store; calls: () => number } {
  let calls = 0;
  const raw = store.withSqliteConnection;
  assert.ok(raw, 'a SQLite store offers withSqliteConnection');
  return { store: { ...store, withSqliteConnection: (fn) => { calls++; return raw(fn); } }, calls: () => calls };
}

async function rows(store: Store): Promise<{ records: unknown[]; checkpoints: unknown[] }> {
  const records = await sql`select *, typeof(seq) t_seq, typeof(status) t_status, typeof(latency_ms) t_latency from audit_records order by seq`.execute(store.db);
  const checkpoints = await sql`select *, typeof(seq) t_seq from audit_checkpoints order by seq`.execute(store.db);
  return { records: records.rows, checkpoints: checkpoints.rows };
}

/** Appends from..to in groups of `group` (one batch each), through the given path. */
async function fill(store: Store, key: TestKey, preparedSqlite: boolean, from: number, to: number, group = 7): Promise<void> {
  const log = await AuditLog.open(store, { signer: key.signer, preparedSqlite, checkpointEvery: 10, now: FIXED_NOW });
  for (let i = from; i <= to; i += group) {
    await Promise.all(Array.from({ length: Math.min(group, to - i + 1) }, (_, k) => log.append(varied(i + k))));
  }
  await log.close();
}

async function withTarget(fn: (target: StoreTarget) => Promise<void>): Promise<void> {
  const target = sqliteTarget();
  try {
    await fn(target);
  } finally {
    await target.cleanup();
  }
}

async function withStore(target: StoreTarget, fn: (store: Store) => Promise<void>): Promise<void> {
  const store = await target.open();
  try {
    await fn(store);
  } finally {
    await store.close();
  }
}

describe('AuditLog on SQLite: the prepared-statement write path', () => {
  test('writes the same rows and checkpoints, byte for byte and type for type, as the Kysely path', async () => {
    const key = testKey();
    const written: Array<{ records: unknown[]; checkpoints: unknown[] }> = [];
    for (const preparedSqlite of [false, true]) {
      await withTarget(async (target) => withStore(target, async (opened) => {
        const { store, calls } = spied(opened);
        await fill(store, key, preparedSqlite, 1, 45);
        assert.equal(calls() > 0, preparedSqlite, preparedSqlite ? 'the prepared path writes through the raw connection' : 'the Kysely path does not');
        const report = await verifyAuditLog(store, { publicKeys: [key.publicKey] });
        assert.equal(report.ok, true, JSON.stringify(report));
        assert.deepEqual([report.checked, report.anchoredThrough], [45, 45]);
        written.push(await rows(store));
      }));
    }
    const [kysely, prepared] = written;
    assert.equal(kysely.records.length, 45);
    // Batches end at 7, 14, ... 42, 45: checkpoints at 14, 28 and 42 (every 10), and 45 by close().
    assert.equal(kysely.checkpoints.length, 4);
    assert.deepEqual(prepared, kysely);
  });

  test('one chain across the two paths and across reopens: an old log is continued and verifies', async () => {
    await withTarget(async (target) => {
      const key = testKey();
      await withStore(target, (store) => fill(store, key, false, 1, 12)); // a log written before the change
      await withStore(target, (store) => fill(store, key, true, 13, 30));
      await withStore(target, (store) => fill(store, key, false, 31, 35));
      await withStore(target, async (store) => {
        const log = await AuditLog.open(store, { signer: key.signer });
        assert.deepEqual(log.stats().head.seq, 35);
        assert.equal((await log.append(entry(36))).seq, 36);
        await log.close();
        const report = await verifyAuditLog(store, { publicKeys: [key.publicKey] });
        assert.equal(report.ok, true, JSON.stringify(report.firstBroken));
        assert.deepEqual([report.checked, report.anchoredThrough], [36, 36]);
      });
    });
  });

  test('two connections on one file, each with its own log, interleave into one gap-free chain', async () => {
    await withTarget(async (target) => {
      const key = testKey();
      const a = await target.open();
      const b = await target.open();
      try {
        const options = { signer: key.signer, checkpointEvery: 25, maxBatch: 16 };
        const logs = { a: await AuditLog.open(a, options), b: await AuditLog.open(b, options) };
        // Each log's cached head goes stale as soon as the other commits; only the head re-read in
        // the transaction keeps the chain whole.
        const results = await Promise.all(Array.from({ length: 200 }, (_, i) => {
          const who = i % 3 === 0 ? 'b' : 'a';
          return logs[who].append(entry(i + 1, { principal: who }));
        }));
        assert.deepEqual(results.map((r) => r.seq).sort((x, y) => x - y), Array.from({ length: 200 }, (_, i) => i + 1));
        const writers = (await a.db.selectFrom('audit_records').select('principal').orderBy('seq').execute()).map((r) => r.principal);
        const runs = writers.filter((w, i) => i === 0 || w !== writers[i - 1]).length;
        assert.ok(runs > 2, `the two writers' batches interleave (${runs} runs)`);
        await logs.a.close();
        await logs.b.close();
        const report = await verifyAuditLog(a, { publicKeys: [key.publicKey] });
        assert.equal(report.ok, true, JSON.stringify(report.firstBroken));
        assert.equal(report.checked, 200);
      } finally {
        await a.close();
        await b.close();
      }
    });
  });

  test('a second process appending to the same file while this one does stays in the chain', async () => {
    await withTarget(async (target) => {
      const key = loadOrCreateAuditSigningKey(target.dir);
      const store = await target.open();
      try {
        const log = await AuditLog.open(store, { signer: key, checkpointEvery: 50 });
        let childDone = false;
        const child = runChild(target, 300, 'other').finally(() => { childDone = true; });
        // This process keeps appending, a batch every few ms, for as long as the child runs.
        const mine: number[] = [];
        for (let round = 0; !childDone; round++) {
          const batch = await Promise.all(Array.from({ length: 10 }, (_, k) => log.append(entry(round * 10 + k + 1, { principal: 'parent' }))));
          mine.push(...batch.map((r) => r.seq));
          await new Promise((resolve) => setTimeout(resolve, 2));
        }
        const theirs = await child;
        // One batch more after the child is gone: its records then sit inside the parent's, whatever
        // the scheduling of the last rounds was.
        mine.push(...(await Promise.all(Array.from({ length: 10 }, (_, k) => log.append(entry(100_000 + k, { principal: 'parent' }))))).map((r) => r.seq));
        await log.close();
        const total = mine.length + theirs.length;
        assert.deepEqual([...mine, ...theirs].sort((x, y) => x - y), Array.from({ length: total }, (_, i) => i + 1));
        const writers = (await store.db.selectFrom('audit_records').select('principal').orderBy('seq').execute()).map((r) => r.principal);
        const runs = writers.filter((w, i) => i === 0 || w !== writers[i - 1]).length;
        assert.ok(runs > 2, `the two processes' batches interleave (${runs} runs)`);
        const report = await verifyAuditLog(store, { publicKeys: [key.publicKey] });
        assert.equal(report.ok, true, JSON.stringify(report.firstBroken));
        assert.equal(report.checked, total);
      } finally {
        await store.close();
      }
    });
  });

  test('a flush that fails midway rolls back all of its batch, rejects every record of it, and keeps what was acknowledged', async () => {
    await withTarget(async (target) => withStore(target, async (store) => {
      const key = testKey();
      const log = await AuditLog.open(store, { signer: key.signer, checkpointEvery: 1000 });
      const before = await Promise.all([1, 2, 3, 4, 5].map((i) => log.append(entry(i))));
      await sql.raw(`create trigger audit_boom before insert on audit_records when new.request_id = 'boom' begin select raise(abort, 'boom'); end`).execute(store.db);
      // One batch: the record before the bad one is inserted, then the statement fails.
      const outcomes = await Promise.allSettled([log.append(entry(6)), log.append(entry(7, { requestId: 'boom' })), log.append(entry(8))]);
      for (const o of outcomes) {
        assert.equal(o.status, 'rejected');
        assert.equal((o as PromiseRejectedResult).reason.code, 'MG_INTERNAL');
      }
      assert.deepEqual([log.stats().failedFlushes, log.stats().head], [1, { seq: 5, hash: before[4].hash }]);
      const stored = await store.db.selectFrom('audit_records').select('seq').orderBy('seq').execute();
      assert.deepEqual(stored.map((r) => Number(r.seq)), [1, 2, 3, 4, 5], 'nothing of the failed batch is committed');
      await sql.raw('drop trigger audit_boom').execute(store.db);
      // A failing checkpoint insert fails its batch too: records and checkpoint commit together.
      await sql.raw(`create trigger audit_cp_boom before insert on audit_checkpoints begin select raise(abort, 'no checkpoint'); end`).execute(store.db);
      const cpLog = await AuditLog.open(store, { signer: key.signer, checkpointEvery: 1 });
      await assert.rejects(cpLog.append(entry(9)), { code: 'MG_INTERNAL' });
      await sql.raw('drop trigger audit_cp_boom').execute(store.db);
      assert.equal((await cpLog.append(entry(10))).seq, 6);
      await cpLog.close();
      assert.equal((await log.append(entry(11))).seq, 7, 'the chain goes on from the last commit');
      await log.close();
      const report = await verifyAuditLog(store, { publicKeys: [key.publicKey] });
      assert.equal(report.ok, true, JSON.stringify(report.firstBroken));
      assert.deepEqual([report.checked, report.anchoredThrough], [7, 7]);
    }));
  });

  test('a flush waits for a Kysely transaction in progress on the same store instead of joining it', async () => {
    await withTarget(async (target) => withStore(target, async (store) => {
      const key = testKey();
      await sql.raw('create table scratch (x integer)').execute(store.db);
      const log = await AuditLog.open(store, { signer: key.signer, flushIntervalMs: 0 });
      let transactionOver = false;
      let appended: Promise<{ seq: number; transactionWasOver: boolean }> | undefined;
      await assert.rejects(store.transaction(async (trx) => {
        await trx.insertInto('scratch' as never).values({ x: 1 } as never).execute();
        appended = log.append(entry(1)).then((r) => ({ seq: r.seq, transactionWasOver: transactionOver }));
        // Several turns: the flush is due and must wait for the connection.
        for (let i = 0; i < 5; i++) await new Promise((resolve) => setImmediate(resolve));
        transactionOver = true;
        throw new Error('roll back');
      }), /roll back/);
      assert.ok(appended, 'the append was made inside the transaction');
      assert.deepEqual(await appended, { seq: 1, transactionWasOver: true });
      const scratch = await sql<{ n: number }>`select count(*) n from scratch`.execute(store.db);
      assert.equal(scratch.rows[0].n, 0, 'the rolled-back transaction took nothing of the audit flush with it');
      assert.equal((await store.db.selectFrom('audit_records').select('seq').execute()).length, 1);
      await log.close();
    }));
  });

  test('withSqliteConnection refuses an asynchronous function, whose work would outlive the lock', async () => {
    await withTarget(async (target) => withStore(target, async (store) => {
      await assert.rejects(store.withSqliteConnection!(async () => 1), TypeError);
      assert.equal(await store.withSqliteConnection!((c) => c.prepare('select 41 + 1 n').pluck().get()), 42);
    }));
  });
});
