// The audit_chain_broken signal on the real PostgreSQL: a write the database refused in time (another
// session holds the chain's lock past lockTimeoutMs) is not a broken chain, but it makes the next check
// verify at once instead of within ten minutes; a tampered record is then found.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { auditHealth } from '../../src/assembly/health.ts';
import { AuditLog } from '../../src/audit/index.ts';
import { lockChain } from '../../src/audit/rows.ts';
import { openStore, type Store, type StoreOptions } from '../../src/store/index.ts';
import { entry, testKey } from '../audit/helpers.ts';
import { whileHeld } from '../fixtures/locks.ts';
import { postgresTarget } from '../store/targets.ts';

/** Makes one append fail: another session holds the chain's lock longer than the store's lock timeout. */
async function failOneAppend(holder: Store, log: AuditLog, i: number): Promise<void> {
  await whileHeld(holder, (trx) => lockChain(trx, 'postgres'), () => assert.rejects(log.append(entry(i)), { code: 'MG_STORE_BUSY' }));
}

test('audit health: a refused write is not a broken chain, but the next check verifies at once and finds tampering', async () => {
  const target = postgresTarget();
  const holder = await target.open();
  const store = await openStore({ ...(target.options as Extract<StoreOptions, { kind: 'postgres' }>), lockTimeoutMs: 200 });
  const key = testKey();
  const log = await AuditLog.open(store, { signer: key.signer, flushIntervalMs: 0 });
  let now = 0;
  const broken = auditHealth(log, store, key.publicKey, () => now);
  try {
    for (let i = 1; i <= 3; i++) await log.append(entry(i));
    assert.equal(await broken(), false);

    await failOneAppend(holder, log, 4);
    now += 61_000;
    assert.equal(await broken(), false, 'the chain verifies: a refused write left nothing behind');

    // Tampering is not seen until the next verification, which is ten minutes away ...
    await holder.db.updateTable('audit_records').set({ principal: 'mallory' }).where('seq', '=', 2).execute();
    now += 61_000;
    assert.equal(await broken(), false, 'no verification is due yet');
    // ... unless another write fails, which brings it forward.
    await failOneAppend(holder, log, 5);
    now += 61_000;
    assert.equal(await broken(), true);
  } finally {
    await log.close().catch(() => undefined);
    await store.close();
    await holder.close();
    await target.cleanup();
  }
});
