// Blobs as files under <dataDir>/blobs/ab/abcdef... (the first two hex digits fan the files out).
// Paths come only from validated digests. Writes go to a temp file in the same folder, are fsynced
// and renamed into place, so a reader sees either no blob or the whole blob, even after a crash.
import { randomBytes } from 'node:crypto';
import { mkdir, open, readdir, readFile, rename, rm, stat, unlink } from 'node:fs/promises';
import { join } from 'node:path';
import { assertDigest, blobCorrupt, blobNotFound, SHA256_PATTERN, sha256Hex, type BlobStore } from './blob-store.ts';

const TEMP_PREFIX = '.tmp-';

export class FileBlobStore implements BlobStore {
  readonly root: string;

  constructor(dataDir: string) {
    this.root = join(dataDir, 'blobs');
  }

  /** Where a digest lives; exported for tests and repair tools. */
  pathOf(sha256: string): string {
    assertDigest(sha256);
    return join(this.root, sha256.slice(0, 2), sha256);
  }

  async put(bytes: Uint8Array): Promise<string> {
    const digest = sha256Hex(bytes);
    const path = this.pathOf(digest);
    // Keep a sound copy; replace a damaged one, so put() doubles as repair.
    if (await this.isIntact(path, digest)) return digest;
    const dir = join(this.root, digest.slice(0, 2));
    await mkdir(dir, { recursive: true, mode: 0o700 });
    const temp = join(dir, `${TEMP_PREFIX}${randomBytes(8).toString('hex')}`);
    const handle = await open(temp, 'wx', 0o600);
    try {
      await handle.writeFile(bytes);
      await handle.sync();
    } catch (err) {
      await handle.close();
      await rm(temp, { force: true });
      throw err;
    }
    await handle.close();
    await rename(temp, path);
    await syncDir(dir);
    return digest;
  }

  async get(sha256: string): Promise<Buffer> {
    const path = this.pathOf(sha256);
    let bytes: Buffer;
    try {
      bytes = await readFile(path);
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') throw blobNotFound(sha256);
      throw err;
    }
    const actual = sha256Hex(bytes);
    if (actual !== sha256) throw blobCorrupt(sha256, actual);
    return bytes;
  }

  async has(sha256: string): Promise<boolean> {
    try {
      return (await stat(this.pathOf(sha256))).isFile();
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') return false;
      throw err;
    }
  }

  async delete(sha256: string): Promise<boolean> {
    const path = this.pathOf(sha256);
    try {
      await unlink(path);
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') return false;
      throw err;
    }
    await syncDir(join(this.root, sha256.slice(0, 2)));
    return true;
  }

  async *list(): AsyncIterable<string> {
    for (const fan of await readdirOrEmpty(this.root)) {
      if (!/^[0-9a-f]{2}$/.test(fan)) continue;
      for (const name of (await readdirOrEmpty(join(this.root, fan))).sort()) {
        // Temp files of interrupted writes and strangers are not blobs.
        if (SHA256_PATTERN.test(name) && name.startsWith(fan)) yield name;
      }
    }
  }

  private async isIntact(path: string, digest: string): Promise<boolean> {
    try {
      return sha256Hex(await readFile(path)) === digest;
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') return false;
      throw err;
    }
  }
}

async function readdirOrEmpty(dir: string): Promise<string[]> {
  try {
    return (await readdir(dir)).sort();
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return [];
    throw err;
  }
}

/** Makes a rename or unlink durable: the directory entry must reach the disk too. */
async function syncDir(dir: string): Promise<void> {
  const handle = await open(dir, 'r');
  try {
    await handle.sync();
  } finally {
    await handle.close();
  }
}
