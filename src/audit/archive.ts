// Retention: moves an old range of records to a JSON lines file and out of the table. The range
// always ends at a signed checkpoint, which stays in the table, so verifying what remains starts
// from a signed anchor and the archive file itself can be checked against the same signature.
import { createHash } from 'node:crypto';
import { createReadStream, createWriteStream, renameSync, rmSync } from 'node:fs';
import { finished } from 'node:stream/promises';
import { ModelGateError } from '../errors.ts';
import { liftTimeouts, type Store } from '../store/index.ts';
import { exportAuditJsonl } from './query.ts';
import { lockChain, toCheckpoint } from './rows.ts';
import type { TrustedAuditKeys } from './signing.ts';
import { verifyAuditLog } from './verify.ts';

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
  reason?: string;
}

export async function archiveAuditLog(store: Store, options: ArchiveOptions): Promise<ArchiveResult> {
  const db = store.db;
  const last = await db.selectFrom('audit_archives').select('to_seq').orderBy('to_seq', 'desc').limit(1).executeTakeFirst();
  const archivedThrough = last ? Number(last.to_seq) : 0;
  let limit: number;
  if (options.beforeSeq !== undefined) limit = options.beforeSeq - 1;
  else if (options.beforeTime !== undefined) {
    const ms = Date.parse(options.beforeTime);
    if (Number.isNaN(ms)) throw new ModelGateError('MG_INVALID_REQUEST', `'${options.beforeTime}' is not a date`);
    const first = await db.selectFrom('audit_records').select('seq').where('time', '>=', new Date(ms).toISOString()).orderBy('seq').limit(1).executeTakeFirst();
    limit = first ? Number(first.seq) - 1 : Number.MAX_SAFE_INTEGER;
  } else throw new ModelGateError('MG_INVALID_REQUEST', 'archive needs beforeTime or beforeSeq');

  const cutRow = await db.selectFrom('audit_checkpoints').selectAll()
    .where('seq', '>', archivedThrough).where('seq', '<=', limit).orderBy('seq', 'desc').limit(1).executeTakeFirst();
  if (!cutRow) return { archived: false, fromSeq: archivedThrough + 1, toSeq: archivedThrough, records: 0, reason: 'no signed checkpoint inside the range yet' };
  const cut = toCheckpoint(cutRow);
  if (options.verifyWith) {
    const report = await verifyAuditLog(store, { publicKeys: options.verifyWith, toSeq: cut.seq });
    if (!report.ok) {
      throw new ModelGateError('MG_CONFLICT', `the audit chain is broken at ${report.firstBroken!.seq} (${report.firstBroken!.problem}); nothing was archived`);
    }
  }

  // Written under a temporary name and renamed, so a crash never leaves a half file under the real one.
  const temp = `${options.file}.partial`;
  const out = createWriteStream(temp, { flags: 'wx', mode: 0o600 });
  let count: number;
  try {
    count = await exportAuditJsonl(store, { fromSeq: archivedThrough + 1, toSeq: cut.seq }, out);
    out.end();
    await finished(out);
    renameSync(temp, options.file);
  } catch (err) {
    out.destroy();
    rmSync(temp, { force: true });
    throw err;
  }
  const digest = createHash('sha256');
  for await (const chunk of createReadStream(options.file)) digest.update(chunk as Buffer);
  const fileSha256 = digest.digest('hex');

  await store.transaction(async (trx) => {
    // Deleting millions of records may outlast the request-sized statement limit.
    await liftTimeouts(trx, store.dialect);
    await lockChain(trx, store.dialect);
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
  });
  return { archived: true, fromSeq: archivedThrough + 1, toSeq: cut.seq, records: count, file: options.file, fileSha256, headHash: cut.head_hash };
}
