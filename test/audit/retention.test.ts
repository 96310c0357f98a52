// Audit retention on SQLite and PostgreSQL: records past the retention age leave the live table for
// archive files, up to the last signed checkpoint inside the age, in runs of bounded size; the chain
// still verifies; records within the age stay; an archive that started from a cut another one has
// since moved removes nothing and leaves no file; and appends go on while an archive is open.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { setTimeout as sleep } from 'node:timers/promises';
import { join } from 'node:path';
import { sql } from 'kysely';
import {
  AuditLog, archiveAuditLog, archiveExpired, ArchiveRaceError, verifyAuditLog, type ArchiveResult, type RetentionOptions,
} from '../../src/audit/index.ts';
import { openStore, type Store, type StoreOptions } from '../../src/store/index.ts';
import { postgresTarget, sqliteTarget, type StoreTarget } from '../store/targets.ts';
import { entry, testKey, withLog } from './helpers.ts';

const NOW = new Date('2025-03-01T00:00:00Z');
// entry(i) is dated 2025-01-01: two months before NOW, past a 30-day retention; recent(i) is not.
const recent = (i: number) => ({ ...entry(i), time: new Date(NOW.getTime() - 3_600_000 + i * 1000).toISOString() });
const range = (from: number, to: number) => Array.from({ length: to - from + 1 }, (_, k) => from + k);
const seqs = async (store: Store) => (await store.db.selectFrom('audit_records').select('seq').orderBy('seq').execute()).map((r) => Number(r.seq));
const archives = async (store: Store) => (await store.db.selectFrom('audit_archives').selectAll().orderBy('to_seq').execute());
const cuts = async (store: Store) => (await archives(store)).map((a) => [Number(a.from_seq), Number(a.to_seq)]);
const verifies = async (store: Store, key: ReturnType<typeof testKey>) => assert.equal((await verifyAuditLog(store, { publicKeys: [key.publicKey] })).ok, true);

/** Appends old records up to each seq in `checkpoints`, signing a checkpoint at each. */
async function signed(log: AuditLog, checkpoints: number[]): Promise<void> {
  let next = 1;
  for (const cp of checkpoints) {
    for (; next <= cp; next++) await log.append(entry(next));
    await log.checkpoint();
  }
}

/** Holds an archive at a seam until released: `hold` is the hook, `reached` resolves once it runs. */
function gate() {
  let reach!: () => void;
  let release!: () => void;
  const reached = new Promise<void>((r) => { reach = r; });
  const released = new Promise<void>((r) => { release = r; });
  return { reached, release, hold: async () => { reach(); await released; } };
}

/** Waits for a condition; the bound only keeps a broken test from hanging. */
async function until(what: string, cond: () => Promise<boolean> | boolean): Promise<void> {
  for (let i = 0; i < 3000; i++) if (await cond()) return; else await sleep(10);
  throw new Error(`gave up waiting until ${what}`);
}

for (const makeTarget of [sqliteTarget, postgresTarget] as (() => StoreTarget)[]) {
  const label = makeTarget === sqliteTarget ? 'sqlite' : 'postgres';

  test(`${label}: records past the retention age are archived up to the last checkpoint inside it; newer ones stay`, () => withLog(makeTarget, { flushIntervalMs: 0 }, async ({ target, store, log, key }) => {
    const dir = join(target.dir, 'archive');
    await signed(log, [8]);
    for (let i = 9; i <= 10; i++) await log.append(entry(i)); // old too, but after the last checkpoint
    for (let i = 11; i <= 13; i++) await log.append(recent(i));
    await log.checkpoint();

    const result = await archiveExpired(store, { days: 30, dir, publicKey: key.publicKey, now: () => NOW });
    assert.deepEqual([result?.archived, result?.fromSeq, result?.toSeq, result?.records, result?.more], [true, 1, 8, 8, false]);
    const lines = readFileSync(result!.file!, 'utf8').trim().split('\n').map((l) => JSON.parse(l) as { seq: number });
    assert.deepEqual(lines.map((l) => Number(l.seq)), range(1, 8));
    assert.deepEqual(await seqs(store), range(9, 13), 'unsigned and recent records stay');
    await verifies(store, key);

    const again = await archiveExpired(store, { days: 30, dir, publicKey: key.publicKey, now: () => NOW });
    assert.equal(again?.archived, false, 'nothing signed is left past the age');
    assert.equal(readdirSync(dir).length, 1);
  }));

  test(`${label}: one retention call archives in bounded runs, each its own transaction and file, up to maxRuns`, () => withLog(makeTarget, { flushIntervalMs: 0 }, async ({ target, store, log, key }) => {
    await signed(log, [4, 8, 12, 16, 20]);
    for (let i = 21; i <= 23; i++) await log.append(recent(i));
    await log.checkpoint();
    const dir = join(target.dir, 'archive');
    const run = (o: Partial<RetentionOptions>) => archiveExpired(store, { days: 30, dir, publicKey: key.publicKey, now: () => NOW, ...o });

    // No checkpoint within 2 records of the last cut: the first one past it is the cut.
    const one = await run({ maxRecords: 2, maxRuns: 1 });
    assert.deepEqual([one?.fromSeq, one?.toSeq, one?.runs.length, one?.more], [1, 4, 1, true]);
    const two = await run({ maxRecords: 6, maxRuns: 2 });
    assert.deepEqual([two?.fromSeq, two?.toSeq, two?.records, two?.runs.length, two?.more], [5, 12, 8, 2, true], 'stopped at maxRuns');
    const rest = await run({ maxRecords: 6 });
    assert.deepEqual([rest?.fromSeq, rest?.toSeq, rest?.records, rest?.runs.length, rest?.more], [13, 20, 8, 2, false]);

    assert.deepEqual(await cuts(store), [[1, 4], [5, 8], [9, 12], [13, 16], [17, 20]]);
    const archived = (await archives(store)).flatMap((a) => readFileSync(a.file, 'utf8').trim().split('\n').map((l) => Number((JSON.parse(l) as { seq: number }).seq)));
    assert.deepEqual(archived, range(1, 20), 'the files hold every archived record once, in order');
    assert.equal(readdirSync(dir).length, 5);
    assert.deepEqual(await seqs(store), range(21, 23));
    await verifies(store, key);
  }));

  test(`${label}: an archive that started from a cut another one has since moved removes nothing and deletes its file`, () => withLog(makeTarget, { flushIntervalMs: 0 }, async ({ target, store, log, key }) => {
    await signed(log, [10, 20]);
    const replica = await openStore(target.options);
    try {
      const loser = join(target.dir, 'loser.jsonl');
      let won: ArchiveResult | undefined;
      // The loser has read the cut (0) and written 1..20; the other replica then archives 1..10.
      const stale = archiveAuditLog(store, {
        beforeSeq: 21, file: loser, actor: 'a', verifyWith: [key.publicKey],
        beforeLock: async () => { won = await archiveAuditLog(replica, { beforeSeq: 11, file: join(target.dir, 'winner.jsonl'), actor: 'b', verifyWith: [key.publicKey] }); },
      });
      await assert.rejects(stale, (err) => err instanceof ArchiveRaceError && err.code === 'MG_CONFLICT');
      assert.deepEqual([won?.fromSeq, won?.toSeq], [1, 10]);
      assert.deepEqual(await cuts(store), [[1, 10]], 'one archive row, no overlap');
      assert.equal(existsSync(loser) || existsSync(`${loser}.partial`), false, "the loser's file is removed");
      assert.deepEqual(await seqs(store), range(11, 20));
      await verifies(store, key);
      // The next archive starts from the winner's cut.
      assert.deepEqual((await archiveAuditLog(store, { beforeSeq: 21, file: loser, actor: 'a', verifyWith: [key.publicKey] })).fromSeq, 11);
      assert.deepEqual(await cuts(store), [[1, 10], [11, 20]]);
      await verifies(store, key);
    } finally {
      await replica.close();
    }
  }));

  test(`${label}: any failure after the file was written removes it and leaves the records`, () => withLog(makeTarget, { flushIntervalMs: 0 }, async ({ target, store, log, key }) => {
    await signed(log, [10]);
    const file = join(target.dir, 'failed.jsonl');
    const failing = archiveAuditLog(store, { beforeSeq: 11, file, actor: 'a', verifyWith: [key.publicKey], beforeCommit: async () => { throw new Error('injected'); } });
    await assert.rejects(failing, /injected/);
    assert.equal(existsSync(file), false);
    assert.deepEqual([await seqs(store), await cuts(store)], [range(1, 10), []]);
    // A file that is already there is refused, and neither overwritten nor removed.
    writeFileSync(file, 'keep');
    await assert.rejects(archiveAuditLog(store, { beforeSeq: 11, file, actor: 'a' }), /already exists/);
    assert.equal(readFileSync(file, 'utf8'), 'keep');
    // Another archive's temporary file under the same name is neither used nor removed.
    const other = join(target.dir, 'other.jsonl');
    writeFileSync(`${other}.partial`, 'theirs');
    await assert.rejects(archiveAuditLog(store, { beforeSeq: 11, file: other, actor: 'a' }), { code: 'MG_CONFLICT', message: /another archive is writing/ });
    assert.equal(readFileSync(`${other}.partial`, 'utf8'), 'theirs');
    assert.deepEqual([await seqs(store), await cuts(store)], [range(1, 10), []]);
  }));
}

test('postgres: a second archive waits on the archive lock, then finds the cut moved; one archive row, its file removed', () => withLog(postgresTarget, { flushIntervalMs: 0 }, async ({ target, store, log, key }) => {
  await signed(log, [10, 20]);
  const replica = await openStore(target.options);
  const held = gate();
  try {
    const first = archiveAuditLog(store, { beforeSeq: 11, file: join(target.dir, 'a.jsonl'), actor: 'a', verifyWith: [key.publicKey], beforeCommit: held.hold });
    await held.reached;
    const fileB = join(target.dir, 'b.jsonl');
    const second = assert.rejects(
      archiveAuditLog(replica, { beforeSeq: 21, file: fileB, actor: 'b', verifyWith: [key.publicKey] }),
      (err) => err instanceof ArchiveRaceError,
    );
    // Its file written, the second has read the cut the first is about to move. (Waiting for a
    // session on the archive lock only makes the overlap likelier; the outcome does not depend on it.)
    await until('the second archive waits on the archive lock', async () => existsSync(fileB) && (await sql<{ n: number }>`
      select count(*)::int as n from pg_stat_activity where wait_event = 'advisory' and query like '%modelgate:audit-archive:%'`.execute(replica.db)).rows[0]!.n > 0);
    held.release();
    assert.deepEqual([(await first).fromSeq, (await first).toSeq], [1, 10]);
    await second;
    assert.equal(existsSync(fileB), false, "the loser's file is removed");
    assert.deepEqual(await cuts(store), [[1, 10]]);
    await verifies(store, key);
  } finally {
    held.release();
    await replica.close();
  }
}));

test('postgres: audit appends go on while an archive transaction is open (the archive does not take the chain lock)', async () => {
  const target = postgresTarget();
  const store = await target.open();
  // Appends that waited for the archive would fail after 200 ms with MG_STORE_BUSY.
  const appender = await openStore({ ...(target.options as Extract<StoreOptions, { kind: 'postgres' }>), lockTimeoutMs: 200 });
  const key = testKey();
  const log = await AuditLog.open(appender, { signer: key.signer, flushIntervalMs: 0 });
  const held = gate();
  try {
    await signed(log, [10]);
    const archiving = archiveAuditLog(store, { beforeSeq: 11, file: join(target.dir, 'a.jsonl'), actor: 'a', verifyWith: [key.publicKey], beforeCommit: held.hold });
    await held.reached; // records 1..10 deleted, the transaction open
    assert.equal((await log.append(entry(11))).seq, 11);
    assert.equal((await log.checkpoint())?.seq, 11, 'a checkpoint, which takes the chain lock, commits too');
    held.release();
    assert.equal((await archiving).toSeq, 10);
    assert.deepEqual(await seqs(store), [11]);
    await verifies(store, key);
  } finally {
    held.release();
    await log.close();
    await appender.close();
    await store.close();
    await target.cleanup();
  }
});

test('postgres: two replicas archiving the same range at once leave one archive and one file', () => withLog(postgresTarget, { flushIntervalMs: 0 }, async ({ target, store, log, key }) => {
  const replica = await openStore(target.options);
  const dir = join(target.dir, 'shared-archive');
  try {
    for (let i = 1; i <= 20; i++) await log.append(entry(i));
    await log.checkpoint();
    const results = await Promise.all([store, replica].map((s) => archiveExpired(s, { days: 30, dir, publicKey: key.publicKey, now: () => NOW })));
    const archived = results.filter((r) => r?.archived);
    assert.equal(archived.length, 1, JSON.stringify(results));
    assert.deepEqual(readdirSync(dir), [archived[0]!.file!.split('/').pop()], 'the loser removed its duplicate file');
    assert.deepEqual(await cuts(store), [[1, 20]]);
    await verifies(store, key);
  } finally {
    await replica.close();
  }
}));
