// verifyAuditLog: walks the chain from a signed anchor (genesis, or the checkpoint at an archive cut
// or before the range), recomputing every hash and link and checking every checkpoint on the way,
// and names the first broken link: which record, and whether it was modified, deleted, inserted,
// reordered, or the tail truncated.
import type { KeyObject } from 'node:crypto';
import type { Store } from '../store/index.ts';
import { GENESIS_HASH, recordHash } from './canonical.ts';
import { toCheckpoint, toRecord } from './rows.ts';
import { checkpointSignatureValid, keyMap, type TrustedAuditKeys } from './signing.ts';
import type { AuditCheckpoint, AuditRecord } from './types.ts';
import { classifyBrokenLink, type Link } from './classify.ts';

export type AuditProblem =
  | 'modified' | 'deleted' | 'inserted' | 'reordered' | 'truncated'
  | 'bad-checkpoint-signature' | 'unknown-checkpoint-key' | 'checkpoint-mismatch' | 'missing-anchor';

export interface BrokenLink {
  seq: number;
  problem: AuditProblem;
  detail: string;
}

export interface VerifyOptions {
  publicKeys: TrustedAuditKeys;
  fromSeq?: number;
  toSeq?: number;
  /** Records read per query; default 1000. */
  pageSize?: number;
}

export interface VerifyReport {
  ok: boolean;
  /** Records walked: from the anchor to the end of the range (or the first checkpoint after it). */
  checked: number;
  /** Where the walk started: genesis (seq 0) or a signed checkpoint. */
  anchor: { seq: number; hash: string; kind: 'genesis' | 'checkpoint' };
  /** Last record walked. */
  lastSeq: number;
  /** Signed checkpoints matched on the way. */
  checkpoints: number;
  /** Last record covered by a signed checkpoint; records after it are linked but not yet signed. */
  anchoredThrough: number;
  firstBroken?: BrokenLink;
}

export async function verifyAuditLog(store: Store, options: VerifyOptions): Promise<VerifyReport> {
  const keys = keyMap(options.publicKeys);
  const db = store.db;
  const cut = await db.selectFrom('audit_archives').select(['to_seq', 'head_hash']).orderBy('to_seq', 'desc').limit(1).executeTakeFirst();
  const archivedThrough = cut ? Number(cut.to_seq) : 0;
  const start = Math.max(options.fromSeq ?? 1, archivedThrough + 1);
  const cps = (await db.selectFrom('audit_checkpoints').selectAll().where('seq', '>=', archivedThrough).orderBy('seq').execute()).map(toCheckpoint);
  const bySeq = new Map(cps.map((c) => [c.seq, c]));
  const report: VerifyReport = { ok: true, checked: 0, anchor: { seq: 0, hash: GENESIS_HASH, kind: 'genesis' }, lastSeq: 0, checkpoints: 0, anchoredThrough: 0 };
  const fail = (seq: number, problem: AuditProblem, detail: string): VerifyReport => ({ ...report, ok: false, firstBroken: { seq, problem, detail } });
  const checkSignature = (cp: AuditCheckpoint): BrokenLink | undefined => {
    const key: KeyObject | undefined = keys.get(cp.key_id);
    if (!key) return { seq: cp.seq, problem: 'unknown-checkpoint-key', detail: `checkpoint ${cp.seq} is signed by key '${cp.key_id}', which is not trusted` };
    if (!checkpointSignatureValid(cp, key)) return { seq: cp.seq, problem: 'bad-checkpoint-signature', detail: `the signature of checkpoint ${cp.seq} does not verify under key '${cp.key_id}'` };
    return undefined;
  };

  // The anchor: the highest checkpoint at or above the archive cut and before the range.
  const anchorCp = [...cps].reverse().find((c) => c.seq <= start - 1);
  if (anchorCp) {
    const bad = checkSignature(anchorCp);
    if (bad) return { ...report, ok: false, firstBroken: bad };
    if (cut && anchorCp.seq === archivedThrough && anchorCp.head_hash !== cut.head_hash) {
      return fail(archivedThrough, 'checkpoint-mismatch', `the archive cut at ${archivedThrough} records head ${cut.head_hash}, its checkpoint ${anchorCp.head_hash}`);
    }
    report.anchor = { seq: anchorCp.seq, hash: anchorCp.head_hash, kind: 'checkpoint' };
    report.anchoredThrough = anchorCp.seq;
  } else if (archivedThrough > 0) {
    return fail(archivedThrough, 'missing-anchor', `records up to ${archivedThrough} were archived but the checkpoint at the cut is missing`);
  }
  report.lastSeq = report.anchor.seq;

  // End: the range's end, carried on to the next checkpoint so the range ends on a signature too.
  const walkEnd = options.toSeq === undefined ? Number.MAX_SAFE_INTEGER : (cps.find((c) => c.seq >= options.toSeq!)?.seq ?? options.toSeq);
  const rows = new RecordCursor(store, report.anchor.seq, walkEnd, options.pageSize ?? 1000);
  let prev: Link = { seq: report.anchor.seq, hash: report.anchor.hash, isAnchor: true };
  let beforePrev: Link | undefined;
  for (let r = await rows.next(); r; r = await rows.next()) {
    const expected = prev.seq + 1;
    if (r.seq > expected) {
      const gapCp = cps.find((c) => c.seq >= expected && c.seq < r!.seq && checkSignature(c) !== undefined);
      if (gapCp) return { ...report, ok: false, firstBroken: checkSignature(gapCp) };
      return fail(expected, 'deleted', r.seq === expected + 1 ? `record ${expected} is missing` : `records ${expected} to ${r.seq - 1} are missing`);
    }
    if (recordHash(r.prev_hash, r) !== r.hash) return fail(r.seq, 'modified', `record ${r.seq} does not match its hash: a field was changed after it was written`);
    if (r.prev_hash !== prev.hash) {
      const broken = await classifyBrokenLink(store, r, prev, beforePrev, await rows.peek());
      return fail(broken.seq, broken.problem, broken.detail);
    }
    const cp = bySeq.get(r.seq);
    if (cp) {
      const bad = checkSignature(cp);
      if (bad) return { ...report, ok: false, firstBroken: bad };
      if (cp.head_hash !== r.hash) return fail(r.seq, 'checkpoint-mismatch', `checkpoint ${r.seq} signed head ${cp.head_hash} but record ${r.seq} hashes to ${r.hash}: the chain was rewritten up to here`);
      report.checkpoints++;
      report.anchoredThrough = r.seq;
    }
    report.checked++;
    report.lastSeq = r.seq;
    beforePrev = prev;
    prev = { seq: r.seq, hash: r.hash, isAnchor: false };
  }

  // A signed checkpoint past the last record: the tail was cut off.
  const bound = options.toSeq === undefined ? Number.MAX_SAFE_INTEGER : walkEnd;
  for (const cp of cps.filter((c) => c.seq > report.lastSeq && c.seq <= bound)) {
    const bad = checkSignature(cp);
    if (bad) return { ...report, ok: false, firstBroken: bad };
    return fail(report.lastSeq + 1, 'truncated', `checkpoint ${cp.seq} was signed but the log ends at ${report.lastSeq}: records ${report.lastSeq + 1} to ${cp.seq} (at least) are gone`);
  }
  return report;
}

/** Pages through records in seq order with a one-record look-ahead. */
class RecordCursor {
  private page: AuditRecord[] = [];
  private index = 0;
  private done = false;

  constructor(private readonly store: Store, private after: number, private readonly end: number, private readonly pageSize: number) {}

  async next(): Promise<AuditRecord | undefined> {
    const r = await this.peek();
    if (r) this.index++;
    return r;
  }

  async peek(): Promise<AuditRecord | undefined> {
    if (this.index >= this.page.length && !this.done) {
      const rows = await this.store.db.selectFrom('audit_records').selectAll()
        .where('seq', '>', this.after).where('seq', '<=', this.end).orderBy('seq').limit(this.pageSize).execute();
      this.page = rows.map(toRecord);
      this.index = 0;
      if (this.page.length < this.pageSize) this.done = true;
      if (this.page.length > 0) this.after = this.page[this.page.length - 1].seq;
    }
    return this.page[this.index];
  }
}
