// Verifier contract on every store: each kind of tampering, done with plain SQL as an attacker
// with database access would, is reported at the right record with the right name.
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes, sign } from 'node:crypto';
import { sql } from 'kysely';
import { checkpointMessage, entryToBody, recordHash, verifyAuditLog, type AuditLog, type VerifyReport } from '../../src/audit/index.ts';
import type { Store } from '../../src/store/index.ts';
import type { StoreTarget } from '../store/targets.ts';
import { appendMany, entry, testKey, withLog, type Opened } from './helpers.ts';

/** 35 records; checkpoints at 10, 20 and 30; 31..35 not yet signed. */
async function fill(log: AuditLog): Promise<void> {
  for (let g = 0; g < 3; g++) await appendMany(log, 10, g * 10 + 1);
  await appendMany(log, 5, 31);
}

async function hashOf(store: Store, seq: number): Promise<string> {
  return (await store.db.selectFrom('audit_records').select('hash').where('seq', '=', seq).executeTakeFirstOrThrow()).hash;
}

function broken(report: VerifyReport, seq: number, problem: string): void {
  assert.equal(report.ok, false, 'the tampering went unnoticed');
  assert.deepEqual({ seq: report.firstBroken?.seq, problem: report.firstBroken?.problem }, { seq, problem }, report.firstBroken?.detail);
}

/** Re-hashes records from `from` on, as an attacker covering a change would. */
async function rehashFrom(store: Store, from: number): Promise<void> {
  const rows = await store.db.selectFrom('audit_records').selectAll().where('seq', '>=', from - 1).orderBy('seq').execute();
  let prev = rows[0].hash;
  for (const row of rows.slice(1)) {
    const hash = recordHash(prev, row);
    await store.db.updateTable('audit_records').set({ prev_hash: prev, hash }).where('seq', '=', Number(row.seq)).execute();
    prev = hash;
  }
}

export function tamperContract(makeTarget: () => StoreTarget): void {
  const label = makeTarget.name.replace(/Target$/, '');
  const tampered = (name: string, fn: (o: Opened, verify: (range?: { fromSeq?: number; toSeq?: number }) => Promise<VerifyReport>) => Promise<void>) =>
    test(`${label}: ${name}`, () => withLog(makeTarget, { checkpointEvery: 10 }, async (o) => {
      await fill(o.log);
      await fn(o, (range = {}) => verifyAuditLog(o.store, { publicKeys: [o.key.publicKey], ...range }));
    }));

  describe(`audit verification (${label})`, () => {
    tampered('an intact log verifies, anchored through its last checkpoint', async (_o, verify) => {
      const report = await verify();
      assert.equal(report.ok, true);
      assert.deepEqual([report.checked, report.checkpoints, report.anchoredThrough, report.lastSeq], [35, 3, 30, 35]);
    });

    tampered('a changed field is "modified" at its record', async ({ store }, verify) => {
      await store.db.updateTable('audit_records').set({ principal: 'mallory' }).where('seq', '=', 12).execute();
      broken(await verify(), 12, 'modified');
    });

    tampered('a changed and re-hashed record is "modified" at its record', async ({ store }, verify) => {
      const row = await store.db.selectFrom('audit_records').selectAll().where('seq', '=', 12).executeTakeFirstOrThrow();
      const forged = { ...row, status: 500 };
      await store.db.updateTable('audit_records').set({ status: 500, hash: recordHash(row.prev_hash, forged) }).where('seq', '=', 12).execute();
      broken(await verify(), 12, 'modified');
    });

    tampered('a rewritten chain (every later hash recomputed) is caught by the next signed checkpoint', async ({ store }, verify) => {
      await store.db.updateTable('audit_records').set({ status: 500 }).where('seq', '=', 12).execute();
      await rehashFrom(store, 12);
      broken(await verify(), 20, 'checkpoint-mismatch');
    });

    tampered('a removed record is "deleted" at its seq', async ({ store }, verify) => {
      await store.db.deleteFrom('audit_records').where('seq', '=', 17).execute();
      broken(await verify(), 17, 'deleted');
    });

    tampered('a forged record slipped in (later records renumbered) is "inserted" at its seq', async ({ store }, verify) => {
      await store.db.updateTable('audit_records').set({ seq: sql<number>`seq + 1000000` }).where('seq', '>=', 15).execute();
      await store.db.updateTable('audit_records').set({ seq: sql<number>`seq - 999999` }).where('seq', '>=', 1000000).execute();
      const body = entryToBody(entry(99, { principal: 'mallory' }));
      const prev = await hashOf(store, 14);
      await store.db.insertInto('audit_records').values({ seq: 15, ...body, prev_hash: prev, hash: recordHash(prev, body) }).execute();
      broken(await verify(), 15, 'inserted');
    });

    tampered('a forged record added at the end with a made-up link is "inserted"', async ({ store }, verify) => {
      const body = entryToBody(entry(99));
      const prev = randomBytes(32).toString('hex');
      await store.db.insertInto('audit_records').values({ seq: 36, ...body, prev_hash: prev, hash: recordHash(prev, body) }).execute();
      broken(await verify(), 36, 'inserted');
    });

    tampered('two swapped records are "reordered" at the first of them', async ({ store }, verify) => {
      const [a, b] = await store.db.selectFrom('audit_records').selectAll().where('seq', 'in', [22, 23]).orderBy('seq').execute();
      await store.db.updateTable('audit_records').set({ ...b, seq: 22 }).where('seq', '=', 22).execute();
      await store.db.updateTable('audit_records').set({ ...a, seq: 23 }).where('seq', '=', 23).execute();
      broken(await verify(), 22, 'reordered');
    });

    tampered('a cut-off tail behind a signed checkpoint is "truncated"', async ({ store }, verify) => {
      await store.db.deleteFrom('audit_records').where('seq', '>', 24).execute();
      broken(await verify(), 25, 'truncated');
    });

    tampered('a checkpoint signed by another key, or changed, fails its signature', async ({ store }, verify) => {
      const cp = await store.db.selectFrom('audit_checkpoints').selectAll().where('seq', '=', 20).executeTakeFirstOrThrow();
      const forged = sign(null, checkpointMessage({ ...cp, seq: 20 }), testKey().signer.privateKey).toString('base64');
      await store.db.updateTable('audit_checkpoints').set({ signature: forged }).where('seq', '=', 20).execute();
      broken(await verify(), 20, 'bad-checkpoint-signature');
      await store.db.updateTable('audit_checkpoints').set({ signature: cp.signature, head_hash: '0'.repeat(64) }).where('seq', '=', 20).execute();
      broken(await verify(), 20, 'bad-checkpoint-signature');
    });

    tampered('checkpoints by a key that is not trusted are refused', async ({ store }) => {
      const report = await verifyAuditLog(store, { publicKeys: [testKey().publicKey] });
      broken(report, 10, 'unknown-checkpoint-key');
    });

    tampered('a range verifies from the signed checkpoint before it to the one after it', async ({ store }, verify) => {
      const range = await verify({ fromSeq: 15, toSeq: 25 });
      assert.equal(range.ok, true);
      assert.deepEqual([range.anchor.seq, range.anchor.kind, range.lastSeq, range.checked], [10, 'checkpoint', 30, 20]);
      // Damage outside the range does not fail it; inside does.
      await store.db.updateTable('audit_records').set({ principal: 'mallory' }).where('seq', '=', 5).execute();
      await store.db.deleteFrom('audit_records').where('seq', '=', 33).execute();
      assert.equal((await verify({ fromSeq: 15, toSeq: 25 })).ok, true);
      broken(await verify(), 5, 'modified');
      broken(await verify({ fromSeq: 11 }), 33, 'deleted');
      await store.db.updateTable('audit_records').set({ principal: 'mallory' }).where('seq', '=', 18).execute();
      broken(await verify({ fromSeq: 15, toSeq: 25 }), 18, 'modified');
    });
  });
}
