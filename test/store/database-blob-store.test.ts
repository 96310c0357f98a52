// DatabaseBlobStore on a SQLite file and on the real PostgreSQL: the BlobStore contract, blobs split
// over several chunk rows, corruption detected on read, a half-written blob that does not exist, two
// connections (two replicas) putting the same bytes at once, and the file store read as a fallback
// so that switching stores loses no registered package.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DatabaseBlobStore, FileBlobStore, sha256Hex, type Store } from '../../src/store/index.ts';
import { blobStoreContract } from './blob-contract.ts';
import { postgresTarget, sqliteTarget, type StoreTarget } from './targets.ts';

async function opened(make: () => StoreTarget): Promise<{ store: Store; target: StoreTarget; cleanup: () => Promise<void> }> {
  const target = make();
  const store = await target.open();
  return { store, target, cleanup: async () => { await store.close(); await target.cleanup(); } };
}

for (const make of [sqliteTarget, postgresTarget]) {
  const label = make === sqliteTarget ? 'sqlite' : 'postgres';

  blobStoreContract(`database (${label})`, async () => {
    const { store, cleanup } = await opened(make);
    return { blobs: new DatabaseBlobStore(store, { chunkBytes: 7 }), cleanup };
  });

  test(`database (${label}): a blob of many chunks comes back whole; bytes changed in the database are refused as corrupt`, async () => {
    const { store, cleanup } = await opened(make);
    try {
      const blobs = new DatabaseBlobStore(store, { chunkBytes: 1000 });
      const bytes = randomBytes(4321);
      const digest = await blobs.put(bytes);
      const rows = await store.db.selectFrom('blob_chunks').select('seq').where('sha256', '=', digest).execute();
      assert.equal(rows.length, 5);
      assert.deepEqual(await blobs.get(digest), bytes);
      assert.deepEqual([...(await collect(blobs.list()))], [digest]);
      await store.db.updateTable('blob_chunks').set({ bytes: Buffer.alloc(1000) }).where('sha256', '=', digest).where('seq', '=', 2).execute();
      await assert.rejects(blobs.get(digest), { code: 'MG_INTERNAL', message: /is corrupt/ });
      await store.db.deleteFrom('blob_chunks').where('sha256', '=', digest).where('seq', '=', 4).execute();
      await assert.rejects(blobs.get(digest), { code: 'MG_INTERNAL', message: /chunk 5 of 5 is missing/ }, 'a missing chunk is corruption, not a shorter blob');
    } finally {
      await cleanup();
    }
  });

  test(`database (${label}): chunks without their blobs row are no blob; the bytes can still be put`, async () => {
    const { store, cleanup } = await opened(make);
    try {
      const blobs = new DatabaseBlobStore(store, { chunkBytes: 4 });
      const bytes = Buffer.from('half written');
      const digest = sha256Hex(bytes);
      await store.db.insertInto('blob_chunks').values({ sha256: digest, seq: 0, bytes: bytes.subarray(0, 4) }).execute();
      assert.equal(await blobs.has(digest), false);
      await assert.rejects(blobs.get(digest), { code: 'MG_NOT_FOUND' });
      // A put's transaction never leaves such rows (chunks and row commit together); clear the forged one.
      await store.db.deleteFrom('blob_chunks').where('sha256', '=', digest).execute();
      assert.equal(await blobs.put(bytes), digest);
      assert.deepEqual(await blobs.get(digest), bytes);
    } finally {
      await cleanup();
    }
  });

  test(`database (${label}): blobs of the file store are read and deleted through it, and listed once`, async () => {
    const { store, cleanup } = await opened(make);
    const dir = mkdtempSync(join(tmpdir(), 'mg-blobs-'));
    try {
      const files = new FileBlobStore(dir);
      const old = await files.put(Buffer.from('registered before the switch'));
      const blobs = new DatabaseBlobStore(store, { fallback: files });
      assert.equal(await blobs.has(old), true);
      assert.deepEqual(await blobs.get(old), Buffer.from('registered before the switch'));
      const fresh = await blobs.put(Buffer.from('registered after'));
      assert.equal(await files.has(fresh), false, 'new blobs go to the database');
      assert.deepEqual([...(await collect(blobs.list()))].sort(), [old, fresh].sort());
      assert.equal(await blobs.delete(old), true);
      assert.equal(await files.has(old), false);
    } finally {
      await cleanup();
      rmSync(dir, { recursive: true, force: true });
    }
  });
}

test('database (postgres): two connections putting the same bytes at once store one blob', async () => {
  const { store, target, cleanup } = await opened(postgresTarget);
  const other = await target.open();
  try {
    const a = new DatabaseBlobStore(store, { chunkBytes: 64 });
    const b = new DatabaseBlobStore(other, { chunkBytes: 64 });
    for (let i = 0; i < 5; i++) {
      const bytes = randomBytes(1000);
      const [da, db] = await Promise.all([a.put(bytes), b.put(bytes)]);
      assert.equal(da, db);
      assert.deepEqual(await b.get(da), bytes);
    }
    const count = await store.db.selectFrom('blobs').select(store.db.fn.countAll().as('n')).executeTakeFirstOrThrow();
    assert.equal(Number(count.n), 5);
  } finally {
    await other.close();
    await cleanup();
  }
});

async function collect(it: AsyncIterable<string>): Promise<string[]> {
  const out: string[] = [];
  for await (const d of it) out.push(d);
  return out;
}
