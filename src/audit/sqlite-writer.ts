// The audit log's SQLite write path: statements prepared once on the raw better-sqlite3 connection
// and each batch in one synchronous BEGIN IMMEDIATE transaction. Through Kysely every flush compiled
// its insert and better-sqlite3 prepared it again; here a flush is a head read, one run() per record
// and maybe a checkpoint insert. Same rows, same chain, same checkpoints as the portable path.
import type BetterSqlite3 from 'better-sqlite3';
import type { Store } from '../store/index.ts';
import { GENESIS_HASH, recordHash } from './canonical.ts';
import type { AuditCheckpoint, AuditRecord, AuditRecordBody, ChainHead } from './types.ts';

/** Every column of a record, once: the mapped type makes a column added to the table's row type
 * (and so to the record) fail to compile here until it is added. */
const COLUMNS: { [K in keyof AuditRecord]-?: true } = {
  seq: true, time: true, kind: true, request_id: true, principal: true, endpoint: true, model: true,
  version: true, route: true, input_sha256: true, output_json: true, flags_json: true, status: true,
  latency_ms: true, detail_json: true, payload_json: true, prev_hash: true, hash: true,
};
const RECORD_COLUMNS = Object.keys(COLUMNS) as (keyof AuditRecord)[];

const SQL = {
  // Positional parameters: binding an array is a quarter cheaper than binding 18 names.
  insertRecord: `insert into audit_records (${RECORD_COLUMNS.join(', ')}) values (${RECORD_COLUMNS.map(() => '?').join(', ')})`,
  lastRecord: 'select seq, hash from audit_records order by seq desc limit 1',
  lastArchive: 'select to_seq as seq, head_hash as hash from audit_archives order by to_seq desc limit 1',
  insertCheckpoint: 'insert into audit_checkpoints (seq, head_hash, time, key_id, signature) values (@seq, @head_hash, @time, @key_id, @signature) on conflict (seq) do nothing',
};

export interface WrittenBatch {
  records: AuditRecord[];
  checkpoint?: AuditCheckpoint;
}

/** Called inside the transaction with the head the batch ends at; a checkpoint it returns is
 * committed with the records. */
export type CheckpointFor = (head: ChainHead) => AuditCheckpoint | undefined;

type WithConnection = NonNullable<Store['withSqliteConnection']>;
type HeadRow = { seq: number | bigint; hash: string } | undefined;
type AppendTransaction = BetterSqlite3.Transaction<(bodies: readonly AuditRecordBody[], checkpointFor: CheckpointFor) => WrittenBatch>;

export class SqliteChainWriter {
  private prepared: { connection: BetterSqlite3.Database; append: AppendTransaction } | undefined;

  private constructor(private readonly withConnection: WithConnection) {}

  /** The writer for a SQLite store; undefined on any other. */
  static of(store: Store): SqliteChainWriter | undefined {
    return store.dialect === 'sqlite' && store.withSqliteConnection ? new SqliteChainWriter(store.withSqliteConnection) : undefined;
  }

  /** Links bodies after the chain's head, re-read under the write lock (another process may have
   * appended since this one last did), and commits them. Rolls back and rejects on any failure. */
  write(bodies: readonly AuditRecordBody[], checkpointFor: CheckpointFor): Promise<WrittenBatch> {
    return this.withConnection((connection) => {
      // better-sqlite3 would nest a savepoint in an open transaction; the chain needs its own commit.
      if (connection.inTransaction) throw new Error('the SQLite connection is already inside a transaction');
      return this.statements(connection).immediate(bodies, checkpointFor);
    });
  }

  private statements(connection: BetterSqlite3.Database): AppendTransaction {
    if (this.prepared?.connection === connection) return this.prepared.append;
    const insertRecord = connection.prepare<[unknown[]]>(SQL.insertRecord);
    const lastRecord = connection.prepare<[], HeadRow>(SQL.lastRecord);
    const lastArchive = connection.prepare<[], HeadRow>(SQL.lastArchive);
    const insertCheckpoint = connection.prepare<[AuditCheckpoint]>(SQL.insertCheckpoint);
    // The same order as readHead(): the last record, else the cut of the latest archive, else genesis.
    const readHead = (): ChainHead => {
      const row = lastRecord.get() ?? lastArchive.get();
      return row ? { seq: Number(row.seq), hash: row.hash } : { seq: 0, hash: GENESIS_HASH };
    };
    const append = connection.transaction((bodies: readonly AuditRecordBody[], checkpointFor: CheckpointFor): WrittenBatch => {
      let { seq, hash } = readHead();
      const records: AuditRecord[] = new Array(bodies.length);
      for (let i = 0; i < bodies.length; i++) {
        const body = bodies[i];
        const record: AuditRecord = { seq: ++seq, ...body, prev_hash: hash, hash: recordHash(hash, body) };
        insertRecord.run(RECORD_COLUMNS.map((c) => record[c]));
        records[i] = record;
        hash = record.hash;
      }
      const checkpoint = checkpointFor({ seq, hash });
      if (checkpoint) insertCheckpoint.run(checkpoint);
      return checkpoint ? { records, checkpoint } : { records };
    });
    this.prepared = { connection, append };
    return append;
  }
}
