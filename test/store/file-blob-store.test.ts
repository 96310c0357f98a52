// FileBlobStore: the BlobStore contract, plus its file layout, modes, atomic writes and corruption.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readdirSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { FileBlobStore } from '../../src/store/index.ts';
import { blobStoreContract } from './blob-contract.ts';

function scratch(): { dir: string; cleanup: () => Promise<void> } {
  const dir = mkdtempSync(join(tmpdir(), 'mg-blobs-'));
  return { dir, cleanup: async () => rmSync(dir, { recursive: true, force: true }) };
}

blobStoreContract('file', async () => {
  const { dir, cleanup } = scratch();
  return { blobs: new FileBlobStore(dir), cleanup };
});

test('file: blobs live at <dataDir>/blobs/ab/abcd..., files 0600 and folders 0700, no temp file left', async () => {
  const { dir, cleanup } = scratch();
  try {
    const blobs = new FileBlobStore(dir);
    const digest = await blobs.put(Buffer.from('layout'));
    const path = join(dir, 'blobs', digest.slice(0, 2), digest);
    assert.equal(blobs.pathOf(digest), path);
    assert.equal(statSync(path).mode & 0o777, 0o600);
    assert.equal(statSync(join(dir, 'blobs', digest.slice(0, 2))).mode & 0o777, 0o700);
    assert.deepEqual(readdirSync(join(dir, 'blobs', digest.slice(0, 2))), [digest]);
  } finally {
    await cleanup();
  }
});

test('file: a corrupted blob is refused on read with a clear error, and a new put repairs it', async () => {
  const { dir, cleanup } = scratch();
  try {
    const blobs = new FileBlobStore(dir);
    const bytes = Buffer.from('precious package bytes');
    const digest = await blobs.put(bytes);
    writeFileSync(blobs.pathOf(digest), 'flipped bits');
    await assert.rejects(blobs.get(digest), (err: Error & { code?: string }) => {
      assert.equal(err.code, 'MG_INTERNAL');
      assert.match(err.message, new RegExp(`blob ${digest} is corrupt`));
      return true;
    });
    assert.equal(await blobs.put(bytes), digest);
    assert.deepEqual(await blobs.get(digest), bytes);
  } finally {
    await cleanup();
  }
});

test('file: leftovers of an interrupted write are not blobs: get, has and list ignore them', async () => {
  const { dir, cleanup } = scratch();
  try {
    const blobs = new FileBlobStore(dir);
    const bytes = Buffer.from('complete');
    const digest = await blobs.put(bytes);
    // What a crash between write and rename leaves: a temp file beside the blobs, never the final name.
    writeFileSync(join(dir, 'blobs', digest.slice(0, 2), '.tmp-0123456789abcdef'), 'half');
    const listed: string[] = [];
    for await (const d of blobs.list()) listed.push(d);
    assert.deepEqual(listed, [digest]);
    const absent = `${digest.slice(0, 2)}${'0'.repeat(62)}`;
    assert.equal(await blobs.has(absent), false);
  } finally {
    await cleanup();
  }
});
