// Retention: records older than a configured age leave the live table for an archive file, by the
// same verified, signed-cut archive an admin can ask for (archive.ts). Run on a timer by every replica:
// when two archive the same range at once, one removes it and the other drops its duplicate file.
import { randomBytes, type KeyObject } from 'node:crypto';
import { mkdir } from 'node:fs/promises';
import { rmSync } from 'node:fs';
import { join } from 'node:path';
import { isModelGateError } from '../errors.ts';
import type { Store } from '../store/index.ts';
import { archiveAuditLog, type ArchiveResult } from './archive.ts';

/** A fresh archive file name in `dir`: the time (sortable, no characters a file system minds) and a
 * random tag, so replicas archiving into one shared folder in the same millisecond do not collide. */
export function archiveFile(dir: string, now: Date = new Date()): string {
  return join(dir, `audit-${now.toISOString().replace(/[:.]/g, '-')}-${randomBytes(3).toString('hex')}.jsonl`);
}

export interface RetentionOptions {
  /** Records older than this many days are archived. */
  days: number;
  dir: string;
  /** The key the range is verified with before anything is removed. */
  publicKey: KeyObject;
  now?: () => Date;
}

/**
 * Archives what is older than the retention age, up to the last signed checkpoint inside it.
 * Returns undefined when another replica archived the same range first (its file is the archive;
 * ours is removed); a broken chain throws and nothing is removed.
 */
export async function archiveExpired(store: Store, options: RetentionOptions): Promise<ArchiveResult | undefined> {
  const now = options.now?.() ?? new Date();
  const beforeTime = new Date(now.getTime() - options.days * 86_400_000).toISOString();
  await mkdir(options.dir, { recursive: true, mode: 0o700 });
  const file = archiveFile(options.dir, now);
  try {
    return await archiveAuditLog(store, { beforeTime, file, actor: 'retention', verifyWith: [options.publicKey] });
  } catch (err) {
    if (isModelGateError(err) && err.code === 'MG_CONFLICT' && err.message.startsWith('the range changed')) {
      rmSync(file, { force: true });
      return undefined;
    }
    throw err;
  }
}
