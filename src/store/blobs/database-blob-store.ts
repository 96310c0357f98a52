// Blobs in the database (migration 9): what lets replicas sharing PostgreSQL serve any registered
// package without a shared volume. Chunks and the `blobs` row go in one transaction, the row last;
// bytes are checked against their digest on every read, as the file store does.
import { isUniqueViolation } from '../sql.ts';
import type { Store } from '../types.ts';
import { assertDigest, blobCorrupt, blobNotFound, corruptBlob, sha256Hex, type BlobStore } from './blob-store.ts';

export interface DatabaseBlobStoreOptions {
  /** Bytes per chunk row; default 4 MiB. */
  chunkBytes?: number;
  /** Where blobs written before this store was used live (the file store of the data folder): read
   * when the database lacks a blob, so switching stores loses no registered package. */
  fallback?: BlobStore;
}

export class DatabaseBlobStore implements BlobStore {
  private readonly chunkBytes: number;

  constructor(private readonly store: Store, private readonly options: DatabaseBlobStoreOptions = {}) {
    this.chunkBytes = options.chunkBytes ?? 4 * 1024 * 1024;
  }

  async put(bytes: Uint8Array): Promise<string> {
    const digest = sha256Hex(bytes);
    if (await this.stored(digest)) return digest;
    const chunks = Math.max(1, Math.ceil(bytes.byteLength / this.chunkBytes));
    try {
      await this.store.transaction(async (trx) => {
        for (let seq = 0; seq < chunks; seq++) {
          const part = bytes.subarray(seq * this.chunkBytes, (seq + 1) * this.chunkBytes);
          await trx.insertInto('blob_chunks').values({ sha256: digest, seq, bytes: Buffer.from(part.buffer, part.byteOffset, part.byteLength) }).execute();
        }
        await trx.insertInto('blobs').values({ sha256: digest, size: bytes.byteLength, chunks, created_at: new Date().toISOString() }).execute();
      });
    } catch (err) {
      // Another replica stored the same bytes at the same moment: they are there, which is the point.
      if (!(isUniqueViolation(err) && (await this.stored(digest)))) throw err;
    }
    return digest;
  }

  async get(sha256: string): Promise<Buffer> {
    assertDigest(sha256);
    const head = await this.store.db.selectFrom('blobs').select(['chunks', 'size']).where('sha256', '=', sha256).executeTakeFirst();
    if (!head) {
      if (this.options.fallback) return this.options.fallback.get(sha256);
      throw blobNotFound(sha256);
    }
    // A chunk per query: each stays well inside the statement time limit however large the model.
    const parts: Buffer[] = [];
    for (let seq = 0; seq < head.chunks; seq++) {
      const row = await this.store.db.selectFrom('blob_chunks').select('bytes').where('sha256', '=', sha256).where('seq', '=', seq).executeTakeFirst();
      if (!row) throw corruptBlob(sha256, `chunk ${seq + 1} of ${head.chunks} is missing`);
      parts.push(Buffer.from(row.bytes));
    }
    const bytes = Buffer.concat(parts);
    const actual = sha256Hex(bytes);
    if (bytes.byteLength !== Number(head.size) || actual !== sha256) throw blobCorrupt(sha256, actual);
    return bytes;
  }

  async has(sha256: string): Promise<boolean> {
    assertDigest(sha256);
    return (await this.stored(sha256)) || ((await this.options.fallback?.has(sha256)) ?? false);
  }

  async delete(sha256: string): Promise<boolean> {
    assertDigest(sha256);
    const here = await this.store.transaction(async (trx) => {
      const gone = await trx.deleteFrom('blobs').where('sha256', '=', sha256).executeTakeFirst();
      await trx.deleteFrom('blob_chunks').where('sha256', '=', sha256).execute();
      return Number(gone.numDeletedRows) > 0;
    });
    const there = (await this.options.fallback?.delete(sha256)) ?? false;
    return here || there;
  }

  async *list(): AsyncIterable<string> {
    const seen = new Set<string>();
    for (const r of await this.store.db.selectFrom('blobs').select('sha256').orderBy('sha256').execute()) {
      seen.add(r.sha256);
      yield r.sha256;
    }
    if (this.options.fallback?.list) for await (const d of this.options.fallback.list()) if (!seen.has(d)) yield d;
  }

  private async stored(sha256: string): Promise<boolean> {
    return (await this.store.db.selectFrom('blobs').select('sha256').where('sha256', '=', sha256).executeTakeFirst()) !== undefined;
  }
}
