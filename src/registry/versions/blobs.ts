// Keeping package blobs in step with the versions that use them. The database and the blob store
// cannot share a transaction, so each side re-checks the other after its own step: a register
// re-puts a blob a concurrent delete removed, and a delete restores a blob a register just claimed.
import type { RegistryContext } from './rows.ts';

export async function blobReferences(ctx: RegistryContext, sha: string): Promise<number> {
  const rows = await ctx.store.db.selectFrom('model_versions').select('version').where('package_sha256', '=', sha).limit(1).execute();
  return rows.length;
}

export async function ensureBlob(ctx: RegistryContext, sha: string, bytes: Buffer): Promise<void> {
  if (!(await ctx.blobs.has(sha))) await ctx.blobs.put(bytes);
}

/** Removes the blob when no version uses it. Returns true when it was removed. */
export async function collectBlob(ctx: RegistryContext, sha: string): Promise<boolean> {
  if ((await blobReferences(ctx, sha)) > 0) return false;
  let kept: Buffer | undefined;
  try {
    kept = await ctx.blobs.get(sha);
  } catch {
    // Absent or corrupt: nothing worth restoring either way.
  }
  const removed = await ctx.blobs.delete(sha);
  if (kept && (await blobReferences(ctx, sha)) > 0) {
    await ctx.blobs.put(kept);
    return false;
  }
  return removed;
}
