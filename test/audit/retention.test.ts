// Audit retention on SQLite and PostgreSQL: records past the retention age leave the live table for an
// archive file, up to the last signed checkpoint inside the age; the chain still verifies; records
// within the age stay; and two replicas archiving the same range at once leave one archive.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { AuditLog, archiveExpired, verifyAuditLog } from '../../src/audit/index.ts';
import { openStore } from '../../src/store/index.ts';
import { postgresTarget, sqliteTarget, type StoreTarget } from '../store/targets.ts';
import { entry, testKey } from './helpers.ts';

const NOW = new Date('2025-03-01T00:00:00Z');
const recent = (i: number) => ({ ...entry(i), time: new Date(NOW.getTime() - 3_600_000 + i * 1000).toISOString() });

for (const makeTarget of [sqliteTarget, postgresTarget] as (() => StoreTarget)[]) {
  const label = makeTarget === sqliteTarget ? 'sqlite' : 'postgres';

  test(`${label}: records past the retention age are archived up to the last checkpoint inside it; newer ones stay`, async () => {
    const target = makeTarget();
    const store = await target.open();
    const key = testKey();
    const log = await AuditLog.open(store, { signer: key.signer, flushIntervalMs: 0 });
    const dir = join(target.dir, 'archive');
    try {
      // entry(i) is dated 2025-01-01: two months before NOW, past a 30-day retention.
      for (let i = 1; i <= 8; i++) await log.append(entry(i));
      await log.checkpoint();
      for (let i = 9; i <= 10; i++) await log.append(entry(i)); // old too, but after the last checkpoint
      for (let i = 11; i <= 13; i++) await log.append(recent(i));
      await log.checkpoint();

      const result = await archiveExpired(store, { days: 30, dir, publicKey: key.publicKey, now: () => NOW });
      assert.deepEqual([result?.archived, result?.fromSeq, result?.toSeq, result?.records], [true, 1, 8, 8]);
      const lines = readFileSync(result!.file!, 'utf8').trim().split('\n').map((l) => JSON.parse(l) as { seq: number });
      assert.deepEqual(lines.map((l) => Number(l.seq)), [1, 2, 3, 4, 5, 6, 7, 8]);
      const live = await store.db.selectFrom('audit_records').select('seq').orderBy('seq').execute();
      assert.deepEqual(live.map((r) => Number(r.seq)), [9, 10, 11, 12, 13], 'unsigned and recent records stay');
      assert.equal((await verifyAuditLog(store, { publicKeys: [key.publicKey] })).ok, true);

      const again = await archiveExpired(store, { days: 30, dir, publicKey: key.publicKey, now: () => NOW });
      assert.equal(again?.archived, false, 'nothing signed is left past the age');
      assert.equal(readdirSync(dir).length, 1);
    } finally {
      await log.close();
      await store.close();
      await target.cleanup();
    }
  });
}

test('postgres: two replicas archiving the same range at once leave one archive and one file', async () => {
  const target = postgresTarget();
  const a = await target.open();
  const b = await openStore(target.options);
  const key = testKey();
  const log = await AuditLog.open(a, { signer: key.signer, flushIntervalMs: 0 });
  const dir = join(target.dir, 'shared-archive');
  try {
    for (let i = 1; i <= 20; i++) await log.append(entry(i));
    await log.checkpoint();
    const results = await Promise.all([a, b].map((s) => archiveExpired(s, { days: 30, dir, publicKey: key.publicKey, now: () => NOW })));
    const archived = results.filter((r) => r?.archived);
    assert.equal(archived.length, 1, JSON.stringify(results));
    assert.deepEqual(readdirSync(dir), [archived[0]!.file!.split('/').pop()], 'the loser removed its duplicate file');
    assert.equal((await a.db.selectFrom('audit_archives').selectAll().execute()).length, 1);
    assert.equal((await verifyAuditLog(a, { publicKeys: [key.publicKey] })).ok, true);
  } finally {
    await log.close();
    await a.close();
    await b.close();
    await target.cleanup();
  }
});
