// AuditLog contract, writing side, on every store: group commit, chain links, resume, failure of
// every waiting append, two processes on one chain, and SIGKILL under load.
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { AuditLog, GENESIS_HASH, loadOrCreateAuditSigningKey, recordHash, verifyAuditLog } from '../../src/audit/index.ts';
import type { Store } from '../../src/store/index.ts';
import type { StoreTarget } from '../store/targets.ts';
import { appendMany, entry, testKey, withLog } from './helpers.ts';

const CHILD = fileURLToPath(new URL('./append-child.ts', import.meta.url));

/** Runs the append child; kills it with SIGKILL once it has printed killAfter seqs (0: let it finish). */
export function runChild(target: StoreTarget, limit: number, label: string, killAfter = 0): Promise<number[]> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ['--import', 'tsx', CHILD, JSON.stringify(target.options), target.dir, String(limit), label], { stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    let err = '';
    child.stdout.on('data', (d: Buffer) => {
      out += d.toString();
      if (killAfter > 0 && out.split('\n').length > killAfter) child.kill('SIGKILL');
    });
    child.stderr.on('data', (d: Buffer) => { err += d.toString(); });
    child.on('error', reject);
    child.on('close', (code, signal) => {
      if (killAfter === 0 && code !== 0) reject(new Error(`child ${label} exited ${code}: ${err}`));
      else if (killAfter > 0 && signal !== 'SIGKILL') reject(new Error(`child ${label} was not killed (${code}): ${err}`));
      else resolve(out.split('\n').filter((l) => l !== '').map(Number));
    });
  });
}

async function allSeqs(store: Store): Promise<number[]> {
  return (await store.db.selectFrom('audit_records').select('seq').orderBy('seq').execute()).map((r) => Number(r.seq));
}

export function writeContract(makeTarget: () => StoreTarget): void {
  const label = makeTarget.name.replace(/Target$/, '');
  describe(`AuditLog writing (${label})`, () => {
    test(`${label}: many concurrent appends commit in few transactions, in one gap-free chain`, async () => {
      await withLog(makeTarget, { maxBatch: 256 }, async ({ store, log, key }) => {
        const results = await Promise.all(Array.from({ length: 600 }, (_, i) => log.append(entry(i + 1))));
        assert.deepEqual(results.map((r) => r.seq), Array.from({ length: 600 }, (_, i) => i + 1));
        // Appended in one tick: 256 + 256 + 88 records, three transactions.
        assert.equal(log.stats().flushes, 3);
        assert.equal(log.stats().appended, 600);
        const rows = await store.db.selectFrom('audit_records').selectAll().orderBy('seq').execute();
        let prev = GENESIS_HASH;
        for (const row of rows) {
          assert.equal(row.prev_hash, prev);
          assert.equal(recordHash(row.prev_hash, row), row.hash);
          prev = row.hash;
        }
        assert.equal((await verifyAuditLog(store, { publicKeys: [key.publicKey] })).ok, true);
      });
    });

    test(`${label}: an append made as the previous commit resolves is committed too`, async () => {
      // Each append is issued from the resolution of the one before, the moment a drain ends.
      await withLog(makeTarget, {}, async ({ log }) => {
        let chain = log.append(entry(1));
        for (let i = 2; i <= 30; i++) chain = chain.then(() => log.append(entry(i)));
        assert.equal((await chain).seq, 30);
      });
    });

    test(`${label}: with maxBatch 1 every record is its own transaction`, async () => {
      await withLog(makeTarget, { maxBatch: 1 }, async ({ log }) => {
        await appendMany(log, 20);
        assert.equal(log.stats().flushes, 20);
      });
    });

    test(`${label}: a reopened log resumes the chain where it ended`, async () => {
      await withLog(makeTarget, {}, async ({ target, store, log, key }) => {
        await appendMany(log, 10);
        await log.close();
        const again = await target.open();
        try {
          const resumed = await AuditLog.open(again, { signer: key.signer });
          assert.deepEqual(resumed.stats().head, { seq: 10, hash: (await again.db.selectFrom('audit_records').select('hash').where('seq', '=', 10).executeTakeFirstOrThrow()).hash });
          const r = await resumed.append(entry(11));
          assert.equal(r.seq, 11);
          await resumed.close();
        } finally {
          await again.close();
        }
        const report = await verifyAuditLog(store, { publicKeys: [key.publicKey] });
        assert.equal(report.ok, true);
        assert.equal(report.checked, 11);
        assert.equal(report.anchoredThrough, 11, 'close() signs a checkpoint at the head');
      });
    });

    test(`${label}: when the write fails every waiting append rejects, and malformed entries are refused`, async () => {
      const target = makeTarget();
      try {
        const store = await target.open();
        const log = await AuditLog.open(store, { signer: testKey().signer });
        await assert.rejects(log.append({ ...entry(1), flags: ['Not A Flag'] }), { code: 'MG_INVALID_REQUEST' });
        await assert.rejects(log.append({ ...entry(1), kind: 'other' as 'admin' }), { code: 'MG_INVALID_REQUEST' });
        await store.close();
        const outcomes = await Promise.allSettled([log.append(entry(1)), log.append(entry(2)), log.append(entry(3))]);
        for (const o of outcomes) {
          assert.equal(o.status, 'rejected');
          assert.equal((o as PromiseRejectedResult).reason.code, 'MG_INTERNAL');
        }
        assert.ok(log.stats().failedFlushes >= 1);
        await log.close();
        await assert.rejects(log.append(entry(4)), { code: 'MG_SHUTTING_DOWN' });
      } finally {
        await target.cleanup();
      }
    });

    test(`${label}: two processes appending to one chain interleave without a gap or a fork`, async () => {
      const target = makeTarget();
      try {
        const [a, b] = await Promise.all([runChild(target, 150, 'a'), runChild(target, 150, 'b')]);
        assert.deepEqual([...a, ...b].sort((x, y) => x - y), Array.from({ length: 300 }, (_, i) => i + 1));
        const store = await target.open();
        try {
          const key = loadOrCreateAuditSigningKey(target.dir);
          const report = await verifyAuditLog(store, { publicKeys: [key.publicKey] });
          assert.equal(report.ok, true, JSON.stringify(report.firstBroken));
          assert.equal(report.checked, 300);
        } finally {
          await store.close();
        }
      } finally {
        await target.cleanup();
      }
    });

    test(`${label}: SIGKILL under load loses no acknowledged record; the chain verifies and resumes`, async () => {
      const target = makeTarget();
      try {
        const acknowledged = await runChild(target, 0, 'load', 400);
        assert.ok(acknowledged.length >= 400);
        const store = await target.open();
        try {
          const stored = new Set(await allSeqs(store));
          for (const seq of acknowledged) assert.ok(stored.has(seq), `acknowledged record ${seq} is missing`);
          const key = loadOrCreateAuditSigningKey(target.dir);
          assert.equal(key.created, false);
          const before = await verifyAuditLog(store, { publicKeys: [key.publicKey] });
          assert.equal(before.ok, true, JSON.stringify(before.firstBroken));
          const log = await AuditLog.open(store, { signer: key });
          const r = await log.append(entry(1));
          assert.equal(r.seq, Math.max(...stored) + 1);
          await log.close();
          const after = await verifyAuditLog(store, { publicKeys: [key.publicKey] });
          assert.equal(after.ok, true, JSON.stringify(after.firstBroken));
          assert.equal(after.anchoredThrough, r.seq);
        } finally {
          await store.close();
        }
      } finally {
        await target.cleanup();
      }
    });
  });
}

