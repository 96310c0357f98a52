// AuditLog: the long-lived writer. append() resolves once its record is committed, so a response
// released after it is audited; records wait in a buffer and are committed together (group commit),
// one transaction per flushIntervalMs or maxBatch records, whichever comes first. On SQLite the
// batch goes through statements prepared once (sqlite-writer.ts); PostgreSQL goes through Kysely.
import { ModelGateError, errors } from '../errors.ts';
import { isStoreBusy, storeBusy, type Store } from '../store/index.ts';
import { entryToBody, GENESIS_HASH, recordHash } from './canonical.ts';
import { insertCheckpoint, lockChain, readHead, readLastCheckpoint } from './rows.ts';
import { signCheckpoint, type AuditSigner } from './signing.ts';
import { SqliteChainWriter, type WrittenBatch } from './sqlite-writer.ts';
import type { AuditCheckpoint, AuditEntry, AuditRecord, AuditRecordBody, ChainHead } from './types.ts';

const INSERT_CHUNK = 500;

export interface AuditLogOptions {
  /** Signs checkpoints: the server's Ed25519 key and its id. */
  signer: AuditSigner;
  /** Longest wait of a record for company before its transaction starts; default 2 ms. */
  flushIntervalMs?: number;
  /** Records per transaction; reaching it starts the transaction at once. Default 256. */
  maxBatch?: number;
  /** Sign a checkpoint once this many records have been added since the last one; default 1000. */
  checkpointEvery?: number;
  /** ... or once this much time has passed with new records; default 60 s. */
  checkpointIntervalMs?: number;
  now?: () => Date;
  /** On SQLite, write through statements prepared once on the raw connection (default true);
   * false takes the Kysely path PostgreSQL takes, which the tests compare it with. */
  preparedSqlite?: boolean;
}

export interface AppendResult {
  seq: number;
  hash: string;
}

export interface AuditLogStats {
  appended: number;
  /** Transactions that committed records: far fewer than `appended` under load. */
  flushes: number;
  failedFlushes: number;
  checkpoints: number;
  pending: number;
  head: ChainHead;
  lastCheckpoint?: AuditCheckpoint;
}

interface Waiting {
  body: AuditRecordBody;
  resolve(result: AppendResult): void;
  reject(err: unknown): void;
}

export class AuditLog {
  private readonly pending: Waiting[] = [];
  /** Cancels the scheduled flush, if one is scheduled. */
  private timer: (() => void) | undefined;
  private readonly ticker: NodeJS.Timeout;
  private draining: Promise<void> | undefined;
  private closed = false;
  private readonly counts = { appended: 0, flushes: 0, failedFlushes: 0, checkpoints: 0 };
  private readonly flushIntervalMs: number;
  private readonly maxBatch: number;
  private readonly checkpointEvery: number;
  private readonly checkpointIntervalMs: number;
  private readonly now: () => Date;
  private readonly sqlite: SqliteChainWriter | undefined;

  private constructor(
    private readonly store: Store,
    private readonly signer: AuditSigner,
    options: AuditLogOptions,
    private head: ChainHead,
    private lastCheckpoint: AuditCheckpoint | undefined,
  ) {
    this.flushIntervalMs = options.flushIntervalMs ?? 2;
    this.maxBatch = Math.max(1, options.maxBatch ?? 256);
    this.checkpointEvery = Math.max(1, options.checkpointEvery ?? 1000);
    this.checkpointIntervalMs = options.checkpointIntervalMs ?? 60_000;
    this.now = options.now ?? (() => new Date());
    this.sqlite = options.preparedSqlite === false ? undefined : SqliteChainWriter.of(store);
    // A quiet server still signs its last records within the interval.
    this.ticker = setInterval(() => void this.checkpointIfDue(true).catch(() => undefined), this.checkpointIntervalMs);
    this.ticker.unref();
  }

  /** Opens the writer on a store, resuming the chain where it ends. */
  static async open(store: Store, options: AuditLogOptions): Promise<AuditLog> {
    const head = await readHead(store.db);
    const last = await readLastCheckpoint(store.db);
    return new AuditLog(store, options.signer, options, head, last);
  }

  /** Commits the entry and resolves with its place in the chain. Rejects with MG_INVALID_REQUEST
   * for a malformed entry, MG_SHUTTING_DOWN after close(), MG_INTERNAL when the write failed. */
  append(entry: AuditEntry): Promise<AppendResult> {
    if (this.closed) return Promise.reject(errors.shuttingDown());
    let body: AuditRecordBody;
    try {
      body = entryToBody(entry, this.now);
    } catch (err) {
      return Promise.reject(err);
    }
    return new Promise<AppendResult>((resolve, reject) => {
      this.pending.push({ body, resolve, reject });
      if (this.pending.length >= this.maxBatch) this.kick();
      else if (!this.timer && !this.draining) this.timer = this.schedule();
    });
  }

  /** Resolves once every record appended before the call is committed (or has failed). */
  async flush(): Promise<void> {
    this.kick();
    while (this.draining) await this.draining;
  }

  /** Signs a checkpoint at the current head now, unless the head already has one. */
  async checkpoint(): Promise<AuditCheckpoint | undefined> {
    await this.flush();
    return this.store.transaction(async (trx) => {
      await lockChain(trx, this.store.dialect);
      const head = await readHead(trx);
      const last = await readLastCheckpoint(trx);
      if (head.seq === 0 || head.hash === GENESIS_HASH || (last && last.seq >= head.seq)) return undefined;
      const cp = signCheckpoint(this.signer, head.seq, head.hash, this.now().toISOString());
      await insertCheckpoint(trx, cp);
      return cp;
    }).then((cp) => {
      if (cp) this.noteCheckpoint(cp);
      return cp;
    });
  }

  stats(): AuditLogStats {
    return { ...this.counts, pending: this.pending.length, head: { ...this.head }, ...(this.lastCheckpoint ? { lastCheckpoint: this.lastCheckpoint } : {}) };
  }

  /** Commits what is pending, signs a final checkpoint, and refuses further appends. The store
   * stays open: it belongs to the caller. */
  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    clearInterval(this.ticker);
    await this.flush();
    await this.checkpoint().catch(() => undefined);
  }

  /**
   * With a flush interval of 0 the flush runs once the current event-loop turn is done: records
   * appended in the same turn share a transaction, and under load so do those that queue while the
   * previous one commits, without making a lone request wait for a timer.
   */
  private schedule(): () => void {
    if (this.flushIntervalMs <= 0) {
      const t = setImmediate(() => this.kick());
      return () => clearImmediate(t);
    }
    const t = setTimeout(() => this.kick(), this.flushIntervalMs);
    return () => clearTimeout(t);
  }

  private kick(): void {
    this.timer?.();
    this.timer = undefined;
    if (this.draining || this.pending.length === 0) return;
    this.draining = this.drain();
  }

  /** One batch at a time; what arrived during a commit goes in the next one at once, so under
   * load each transaction carries everything that queued while the previous one ran. `draining`
   * is cleared in the same step as the last empty check, so an append never finds it set after
   * the loop has ended (it would wait for a drain that will not come). */
  private async drain(): Promise<void> {
    try {
      while (this.pending.length > 0) await this.write(this.pending.splice(0, this.maxBatch));
    } finally {
      this.draining = undefined;
    }
  }

  private async write(batch: Waiting[]): Promise<void> {
    let written: WrittenBatch;
    try {
      written = this.sqlite
        ? await this.sqlite.write(batch.map((w) => w.body), (head) => this.checkpointFor(head))
        : await this.writeThroughKysely(batch);
    } catch (err) {
      this.counts.failedFlushes++;
      // A database that did not answer in time is worth a retry (503); anything else is a fault.
      const failure = isStoreBusy(err)
        ? storeBusy('the audit record could not be committed', err)
        : new ModelGateError('MG_INTERNAL', 'the audit record could not be committed', { cause: err });
      for (const w of batch) w.reject(failure);
      return;
    }
    this.counts.flushes++;
    this.counts.appended += batch.length;
    const last = written.records[written.records.length - 1];
    this.head = { seq: last.seq, hash: last.hash };
    if (written.checkpoint) this.noteCheckpoint(written.checkpoint);
    batch.forEach((w, i) => w.resolve({ seq: written.records[i].seq, hash: written.records[i].hash }));
  }

  /** The portable path: PostgreSQL, or SQLite with preparedSqlite false. */
  private writeThroughKysely(batch: Waiting[]): Promise<WrittenBatch> {
    return this.store.transaction(async (trx) => {
      await lockChain(trx, this.store.dialect);
      // Re-read inside the lock: another process may have appended since our last flush.
      let { seq, hash } = await readHead(trx);
      const records: AuditRecord[] = batch.map(({ body }) => {
        const record = { seq: ++seq, ...body, prev_hash: hash, hash: recordHash(hash, body) };
        hash = record.hash;
        return record;
      });
      // Chunks keep a statement under SQLite's bound-parameter limit whatever maxBatch is.
      for (let i = 0; i < records.length; i += INSERT_CHUNK) await trx.insertInto('audit_records').values(records.slice(i, i + INSERT_CHUNK)).execute();
      const cp = this.checkpointFor({ seq, hash });
      if (cp) await insertCheckpoint(trx, cp);
      return { records, ...(cp ? { checkpoint: cp } : {}) };
    });
  }

  /** A signed checkpoint at the head a batch ends at, when one is due. */
  private checkpointFor(head: ChainHead): AuditCheckpoint | undefined {
    return this.checkpointDue(head.seq) ? signCheckpoint(this.signer, head.seq, head.hash, this.now().toISOString()) : undefined;
  }

  private checkpointDue(seq: number): boolean {
    const last = this.lastCheckpoint;
    if (!last) return seq >= this.checkpointEvery;
    return seq - last.seq >= this.checkpointEvery || this.now().getTime() - Date.parse(last.time) >= this.checkpointIntervalMs;
  }

  private async checkpointIfDue(idle: boolean): Promise<void> {
    if (this.closed || (idle && (this.pending.length > 0 || this.draining))) return;
    const last = this.lastCheckpoint;
    if (this.head.seq > (last?.seq ?? 0)) await this.checkpoint();
  }

  private noteCheckpoint(cp: AuditCheckpoint): void {
    this.counts.checkpoints++;
    if (!this.lastCheckpoint || cp.seq > this.lastCheckpoint.seq) this.lastCheckpoint = cp;
  }
}
