// The BlobStore contract: what any implementation (files today; S3 or PostgreSQL later) must do.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import type { BlobStore } from '../../src/store/index.ts';

const sha = (b: Uint8Array) => createHash('sha256').update(b).digest('hex');

export function blobStoreContract(label: string, make: () => Promise<{ blobs: BlobStore; cleanup: () => Promise<void> }>): void {
  const withStore = (name: string, fn: (blobs: BlobStore) => Promise<void>) =>
    test(`${label}: ${name}`, async () => {
      const { blobs, cleanup } = await make();
      try {
        await fn(blobs);
      } finally {
        await cleanup();
      }
    });

  withStore('put returns the SHA-256 and get gives the bytes back', async (blobs) => {
    const bytes = Buffer.from('hello blobs');
    const digest = await blobs.put(bytes);
    assert.equal(digest, sha(bytes));
    assert.deepEqual(await blobs.get(digest), bytes);
    assert.equal(await blobs.has(digest), true);
  });

  withStore('the same bytes are stored once; empty bytes are a blob too', async (blobs) => {
    const a = await blobs.put(Buffer.from('same'));
    const b = await blobs.put(new Uint8Array(Buffer.from('same')));
    assert.equal(a, b);
    const empty = await blobs.put(Buffer.alloc(0));
    assert.equal(empty, sha(Buffer.alloc(0)));
    assert.deepEqual(await blobs.get(empty), Buffer.alloc(0));
    if (blobs.list) {
      const listed: string[] = [];
      for await (const d of blobs.list()) listed.push(d);
      assert.deepEqual(listed.sort(), [a, empty].sort());
    }
  });

  withStore('an absent blob is MG_NOT_FOUND on get, false on has and delete', async (blobs) => {
    const absent = sha(Buffer.from('never stored'));
    await assert.rejects(blobs.get(absent), { code: 'MG_NOT_FOUND' });
    assert.equal(await blobs.has(absent), false);
    assert.equal(await blobs.delete(absent), false);
  });

  withStore('delete removes the blob', async (blobs) => {
    const digest = await blobs.put(Buffer.from('to delete'));
    assert.equal(await blobs.delete(digest), true);
    assert.equal(await blobs.has(digest), false);
    await assert.rejects(blobs.get(digest), { code: 'MG_NOT_FOUND' });
  });

  withStore('anything but 64 lower-case hex is refused before touching storage', async (blobs) => {
    const tricks = ['../x', '../../etc/passwd', 'ab/../../x', '', 'A'.repeat(64), `${'a'.repeat(63)}/`, `${'a'.repeat(64)}\0`, `/${'a'.repeat(63)}`, 'a'.repeat(65)];
    for (const bad of tricks) {
      await assert.rejects(blobs.get(bad), { code: 'MG_INVALID_REQUEST' }, JSON.stringify(bad));
      await assert.rejects(blobs.has(bad), { code: 'MG_INVALID_REQUEST' }, JSON.stringify(bad));
      await assert.rejects(blobs.delete(bad), { code: 'MG_INVALID_REQUEST' }, JSON.stringify(bad));
    }
  });

  withStore('concurrent puts of the same bytes all succeed with one blob', async (blobs) => {
    const bytes = Buffer.alloc(200_000, 7);
    const digests = await Promise.all(Array.from({ length: 8 }, () => blobs.put(bytes)));
    assert.equal(new Set(digests).size, 1);
    assert.deepEqual(await blobs.get(digests[0]), bytes);
  });
}
