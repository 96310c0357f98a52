// Retention: moves an old range of records to a JSON lines file and out of the table. The range
// always ends at a signed checkpoint, which stays in the table, so verifying what remains starts
// from a signed anchor and the archive file itself can be checked against the same signature.
import { createHash } from 'node:crypto';
import { createReadStream, existsSync, renameSync, rmSync } from 'node:fs';
import { open } from 'node:fs/promises';
import { finished } from 'node:stream/promises';
import type { Kysely } from 'kysely';
import { ModelGateError } from '../errors.ts';
import { liftTimeouts, type Database, type Store } from '../store/index.ts';
import { exportAuditJsonl } from './query.ts';
import { lockArchives, readArchivedThrough, toCheckpoint } from './rows.ts';
import type { TrustedAuditKeys } from './signing.ts';
import type { AuditCheckpoint } from './types.ts';
import { verifyAuditLog } from './verify.ts';

/** Records one archive run takes by default: one transaction never deletes millions of rows. */
export const ARCHIVE_MAX_RECORDS = 50_000;

export interface ArchiveOptions {
  /** Archive records written before this time... */
  beforeTime?: string;
  /** ... or with seq below this. The range is cut back to the last checkpoint inside it. */
  beforeSeq?: number;
  /** The JSON lines file to write; must not exist. */
  file: string;
  /** Who asked, recorded with the archive. */
  actor: string;
  /** When given, the range is verified first and a broken chain is not archived. */
  verifyWith?: TrustedAuditKeys;
  /** One run takes at most this many records past the previous archive (default 50,000): the cut
   * is the last signed checkpoint that close; the rest waits for the next run (`more`). When no
   * checkpoint lies that close, the first one past it is the cut: the chain is only cut at a signature. */
  maxRecords?: number;
  /** For tests only: awaited once the file is written, before the locked transaction begins. */
  beforeLock?: () => Promise<void>;
  /** For tests only: awaited inside the locked transaction, rows deleted, just before commit. */
  beforeCommit?: () => Promise<void>;
}

export interface ArchiveResult {
  archived: boolean;
  fromSeq: number;
  toSeq: number;
  records: number;
  file?: string;
  fileSha256?: string;
  /** The chain head at the cut: the signed checkpoint verification now starts from. */
  headHash?: string;
  /** A signed checkpoint inside the range lies past this cut: another run would archive more. */
  more: boolean;
  reason?: string;
}

/** Another archive (another replica, an admin) moved the cut after this one read it; this one
 * removed nothing and deleted its file. Callers recognise it by type, not by message. */
export class ArchiveRaceError extends ModelGateError {
  constructor(readonly expectedThrough: number, readonly foundThrough: number) {
    super('MG_CONFLICT', `another archive moved the cut from ${expectedThrough} to ${foundThrough} while this one ran; nothing was removed`);
    this.name = 'ArchiveRaceError';
  }
}

export async function archiveAuditLog(store: Store, options: ArchiveOptions): Promise<ArchiveResult> {
  const db = store.db;
  // Removing the file on failure must never remove one this call did not create.
  if (existsSync(options.file)) throw new ModelGateError('MG_INVALID_REQUEST', `the archive file ${options.file} already exists`);
  // Read without a lock so the slow part (verify, write the file) holds none; re-read under the lock.
  const archivedThrough = await readArchivedThrough(db);
  const limit = await rangeEnd(db, options);
  const { cut, more } = await findCut(db, archivedThrough, limit, Math.max(1, options.maxRecords ?? ARCHIVE_MAX_RECORDS));
  if (!cut) return { archived: false, fromSeq: archivedThrough + 1, toSeq: archivedThrough, records: 0, more: false, reason: 'no signed checkpoint inside the range yet' };
  if (options.verifyWith) {
    const report = await verifyAuditLog(store, { publicKeys: options.verifyWith, toSeq: cut.seq });
    if (!report.ok) {
      // Another replica's archive committing during the walk looks like missing records: a race, not tampering.
      const now = await readArchivedThrough(db);
      if (now !== archivedThrough) throw new ArchiveRaceError(archivedThrough, now);
      throw new ModelGateError('MG_CONFLICT', `the audit chain is broken at ${report.firstBroken!.seq} (${report.firstBroken!.problem}); nothing was archived`);
    }
  }

  const count = await writeFile(store, options.file, archivedThrough + 1, cut.seq);
  let committing = false;
  try {
    const fileSha256 = await sha256Of(options.file);
    await options.beforeLock?.();
    await store.transaction(async (trx) => {
      // Deleting a large range may outlast the request-sized statement limit.
      await liftTimeouts(trx, store.dialect);
      await lockArchives(trx, store.dialect);
      const through = await readArchivedThrough(trx);
      if (through !== archivedThrough) throw new ArchiveRaceError(archivedThrough, through);
      const deleted = await trx.deleteFrom('audit_records').where('seq', '>', archivedThrough).where('seq', '<=', cut.seq).executeTakeFirst();
      if (Number(deleted.numDeletedRows) !== count) {
        throw new ModelGateError('MG_CONFLICT', `the range changed while it was archived (${count} written, ${Number(deleted.numDeletedRows)} in the table); nothing was removed`);
      }
      await trx.insertInto('audit_archives').values({
        from_seq: archivedThrough + 1,
        to_seq: cut.seq,
        file: options.file,
        file_sha256: fileSha256,
        head_hash: cut.head_hash,
        records: count,
        archived_at: new Date().toISOString(),
        archived_by: options.actor,
      }).execute();
      await options.beforeCommit?.();
      committing = true;
    });
    return { archived: true, fromSeq: archivedThrough + 1, toSeq: cut.seq, records: count, file: options.file, fileSha256, headHash: cut.head_hash, more };
  } catch (err) {
    await discardFile(db, options.file, committing);
    throw err;
  }
}

/** The last seq the request covers. */
async function rangeEnd(db: Kysely<Database>, options: ArchiveOptions): Promise<number> {
  if (options.beforeSeq !== undefined) return options.beforeSeq - 1;
  if (options.beforeTime === undefined) throw new ModelGateError('MG_INVALID_REQUEST', 'archive needs beforeTime or beforeSeq');
  const ms = Date.parse(options.beforeTime);
  if (Number.isNaN(ms)) throw new ModelGateError('MG_INVALID_REQUEST', `'${options.beforeTime}' is not a date`);
  const first = await db.selectFrom('audit_records').select('seq').where('time', '>=', new Date(ms).toISOString()).orderBy('seq').limit(1).executeTakeFirst();
  return first ? Number(first.seq) - 1 : Number.MAX_SAFE_INTEGER;
}

/** The cut: the last checkpoint in the range at most max records past the previous archive, else
 * the first checkpoint in the range; and whether a checkpoint in the range lies past it. */
async function findCut(db: Kysely<Database>, after: number, limit: number, max: number): Promise<{ cut?: AuditCheckpoint; more: boolean }> {
  const inRange = () => db.selectFrom('audit_checkpoints').selectAll().where('seq', '<=', limit);
  const row = await inRange().where('seq', '>', after).where('seq', '<=', after + max).orderBy('seq', 'desc').limit(1).executeTakeFirst()
    ?? await inRange().where('seq', '>', after).orderBy('seq').limit(1).executeTakeFirst();
  if (!row) return { more: false };
  const cut = toCheckpoint(row);
  const next = await inRange().where('seq', '>', cut.seq).limit(1).executeTakeFirst();
  return { cut, more: next !== undefined };
}

/** Writes records from..to under a temporary name, renamed at the end, so a crash never leaves a
 * half file under the real one. Only what this call created is removed on failure: another archive
 * writing the same name keeps its temporary file, and a file that appeared under the real name
 * meanwhile is not replaced. (Rename, not link: some volumes an archive folder may live on, such as
 * SMB shares, have no hard links.) Returns how many were written. */
async function writeFile(store: Store, file: string, fromSeq: number, toSeq: number): Promise<number> {
  const temp = `${file}.partial`;
  const handle = await open(temp, 'wx', 0o600).catch((err: NodeJS.ErrnoException) => {
    // Someone else's temporary file: refused, and left alone.
    if (err.code === 'EEXIST') throw new ModelGateError('MG_CONFLICT', `another archive is writing ${file}; choose another file`);
    throw err;
  });
  const out = handle.createWriteStream();
  try {
    const count = await exportAuditJsonl(store, { fromSeq, toSeq }, out);
    out.end();
    await finished(out);
    if (existsSync(file)) throw new ModelGateError('MG_CONFLICT', `the archive file ${file} appeared while it was written; nothing was removed`);
    renameSync(temp, file);
    return count;
  } catch (err) {
    out.destroy();
    throw err;
  } finally {
    rmSync(temp, { force: true });
  }
}

async function sha256Of(file: string): Promise<string> {
  const digest = createHash('sha256');
  for await (const chunk of createReadStream(file)) digest.update(chunk as Buffer);
  return digest.digest('hex');
}

/** Removes the file of a failed archive, so no orphan is left beside the archives. A failure of the
 * commit itself leaves the outcome unknown: then the file stays if the archive row naming it is in
 * the table, or cannot be read, since the file may be the only copy of the removed records. */
async function discardFile(db: Kysely<Database>, file: string, committing: boolean): Promise<void> {
  if (committing) {
    const row = await db.selectFrom('audit_archives').select('file').where('file', '=', file).executeTakeFirst().catch(() => ({ file }));
    if (row) return;
  }
  rmSync(file, { force: true });
}
