// Retention: records older than a configured age leave the live table for archive files, by the
// same verified, signed-cut archive an admin can ask for (archive.ts), in runs of bounded size.
// Run on a timer by every replica: archives serialise on their own lock, and one that started from
// a cut another replica has since moved removes nothing and deletes its file.
import { randomBytes, type KeyObject } from 'node:crypto';
import { mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import type { Store } from '../store/index.ts';
import { archiveAuditLog, ArchiveRaceError, type ArchiveResult } from './archive.ts';

/** Archive runs one call makes by default: at 50,000 records a run, 2.5 million records an hour. */
export const RETENTION_MAX_RUNS = 50;

/** A fresh archive file name in `dir`: the time (sortable, no characters a file system minds) and a
 * random tag, so replicas archiving into one shared folder in the same millisecond do not collide. */
export function archiveFile(dir: string, now: Date = new Date()): string {
  return join(dir, `audit-${now.toISOString().replace(/[:.]/g, '-')}-${randomBytes(3).toString('hex')}.jsonl`);
}

export interface RetentionOptions {
  /** Records older than this many days are archived. */
  days: number;
  dir: string;
  /** The key each range is verified with before anything is removed. */
  publicKey: KeyObject;
  now?: () => Date;
  /** Records per run, each run its own transaction and file (archiveAuditLog's maxRecords). */
  maxRecords?: number;
  /** Runs per call (default 50); what is left past the age waits for the next call. */
  maxRuns?: number;
}

export interface RetentionResult extends ArchiveResult {
  /** Every run that archived, in order. The fields above span them all; file, fileSha256 and
   * headHash are the last run's, `more` says whether the age still has a signed range left. */
  runs: ArchiveResult[];
}

/**
 * Archives what is older than the retention age, up to the last signed checkpoint inside it, one
 * bounded run after another. Returns undefined when another replica moved the cut first and this
 * call archived nothing (its file is removed); a broken chain throws and that range stays.
 */
export async function archiveExpired(store: Store, options: RetentionOptions): Promise<RetentionResult | undefined> {
  const now = options.now?.() ?? new Date();
  const beforeTime = new Date(now.getTime() - options.days * 86_400_000).toISOString();
  await mkdir(options.dir, { recursive: true, mode: 0o700 });
  const maxRuns = Math.max(1, options.maxRuns ?? RETENTION_MAX_RUNS);
  const runs: ArchiveResult[] = [];
  let last: ArchiveResult | undefined;
  while (runs.length < maxRuns) {
    try {
      last = await archiveAuditLog(store, {
        beforeTime, file: archiveFile(options.dir, now), actor: 'retention', verifyWith: [options.publicKey], maxRecords: options.maxRecords,
      });
    } catch (err) {
      // The replica that won is archiving the same age; what is left is for it or the next call.
      if (err instanceof ArchiveRaceError) break;
      throw err;
    }
    if (!last.archived) break;
    runs.push(last);
    if (!last.more) break;
  }
  const first = runs[0];
  const end = runs[runs.length - 1];
  if (!first || !end) return last && !last.archived ? { ...last, runs } : undefined;
  return { ...end, fromSeq: first.fromSeq, records: runs.reduce((n, r) => n + r.records, 0), runs };
}
