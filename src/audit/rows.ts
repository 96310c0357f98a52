// The audit tables as the writer, verifier and readers see them: reading the chain head, taking
// the chain and archive locks, and turning rows (bigint as text on PostgreSQL) into records.
import { sql, type Kysely } from 'kysely';
import type { Database, StoreDialect } from '../store/index.ts';
import { GENESIS_HASH } from './canonical.ts';
import type { AuditCheckpoint, AuditRecord, ChainHead } from './types.ts';

type Db = Kysely<Database>;
type RecordRow = Omit<AuditRecord, 'seq'> & { seq: number | string };
type CheckpointRow = Omit<AuditCheckpoint, 'seq'> & { seq: number | string };

export function toRecord(row: RecordRow): AuditRecord {
  return {
    ...row,
    seq: Number(row.seq),
    status: row.status === null ? null : Number(row.status),
    latency_ms: row.latency_ms === null ? null : Number(row.latency_ms),
  };
}

export function toCheckpoint(row: CheckpointRow): AuditCheckpoint {
  return { ...row, seq: Number(row.seq) };
}

/** The last record, else the cut of the latest archive (every record archived), else genesis. */
export async function readHead(db: Db): Promise<ChainHead> {
  const last = await db.selectFrom('audit_records').select(['seq', 'hash']).orderBy('seq', 'desc').limit(1).executeTakeFirst();
  if (last) return { seq: Number(last.seq), hash: last.hash };
  const cut = await db.selectFrom('audit_archives').select(['to_seq', 'head_hash']).orderBy('to_seq', 'desc').limit(1).executeTakeFirst();
  if (cut) return { seq: Number(cut.to_seq), hash: cut.head_hash };
  return { seq: 0, hash: GENESIS_HASH };
}

export async function readLastCheckpoint(db: Db): Promise<AuditCheckpoint | undefined> {
  const row = await db.selectFrom('audit_checkpoints').selectAll().orderBy('seq', 'desc').limit(1).executeTakeFirst();
  return row ? toCheckpoint(row) : undefined;
}

export async function insertCheckpoint(db: Db, cp: AuditCheckpoint): Promise<void> {
  await db.insertInto('audit_checkpoints').values(cp).onConflict((oc) => oc.column('seq').doNothing()).execute();
}

/** Serialises writers of the one chain. SQLite needs nothing: the transaction already holds the
 * database write lock (BEGIN IMMEDIATE). On PostgreSQL a transaction-scoped advisory lock, keyed
 * by the schema so installations sharing a database do not wait on each other; it is released by
 * commit, rollback, or the death of the session. */
export async function lockChain(db: Db, dialect: StoreDialect): Promise<void> {
  if (dialect !== 'postgres') return;
  await sql`select pg_advisory_xact_lock(hashtextextended('modelgate:audit-chain:' || current_schema(), 0))`.execute(db);
}

/** The last seq moved to an archive file; 0 when nothing was archived. */
export async function readArchivedThrough(db: Db): Promise<number> {
  const last = await db.selectFrom('audit_archives').select('to_seq').orderBy('to_seq', 'desc').limit(1).executeTakeFirst();
  return last ? Number(last.to_seq) : 0;
}

/** Serialises archive runs, and only them. Appends insert after the head and never touch archived
 * rows, so an archive deleting a range must not hold the chain lock: appends waiting on it would
 * fail after lock_timeout and stop inference. PostgreSQL: a transaction-scoped advisory lock of
 * its own, keyed by schema like the chain's. SQLite: the transaction's write lock already
 * serialises (and blocks appends), which is why one archive run is kept small (archive.ts). */
export async function lockArchives(db: Db, dialect: StoreDialect): Promise<void> {
  if (dialect !== 'postgres') return;
  await sql`select pg_advisory_xact_lock(hashtextextended('modelgate:audit-archive:' || current_schema(), 0))`.execute(db);
}
