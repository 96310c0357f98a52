// Naming a broken link. A record whose own hash is intact but whose prev_hash is not the hash of
// the record before it was moved, inserted, or follows a record that was rewritten; which one is
// read from its neighbours.
import type { Store } from '../store/index.ts';
import type { AuditRecord } from './types.ts';
import type { BrokenLink } from './verify.ts';

/** A record already walked (or the anchor) as the walk remembers it. */
export interface Link {
  seq: number;
  hash: string;
  /** The anchor is signed: it cannot be the forged side of a broken link. */
  isAnchor: boolean;
}

export async function classifyBrokenLink(
  store: Store,
  r: AuditRecord,
  prev: Link,
  beforePrev: Link | undefined,
  next: AuditRecord | undefined,
): Promise<BrokenLink> {
  // r links over prev to the record before it: prev was slipped in between them.
  if (beforePrev && !prev.isAnchor && r.prev_hash === beforePrev.hash) {
    return { seq: prev.seq, problem: 'inserted', detail: `record ${prev.seq} was inserted: record ${r.seq} links to record ${beforePrev.seq}, skipping it` };
  }
  // r links to a record that exists elsewhere in the log: it was moved out of its place.
  const target = await store.db.selectFrom('audit_records').select('seq').where('hash', '=', r.prev_hash).executeTakeFirst();
  if (target && Number(target.seq) !== prev.seq) {
    return { seq: r.seq, problem: 'reordered', detail: `record ${r.seq} follows record ${Number(target.seq)} in the chain but sits after record ${prev.seq}` };
  }
  // r links to nothing we know, and the next record links over it: r does not belong.
  if (next && next.prev_hash === prev.hash) {
    return { seq: r.seq, problem: 'inserted', detail: `record ${r.seq} was inserted: record ${next.seq} links to record ${prev.seq}, skipping it` };
  }
  if (prev.isAnchor || !next) {
    return { seq: r.seq, problem: 'inserted', detail: `record ${r.seq} links to ${r.prev_hash}, which is not the hash of record ${prev.seq}: it was forged` };
  }
  // r is sound and its successor links to it, so the record before it changed and was re-hashed
  // to hide it (or a record was removed and the rest renumbered, which reads the same).
  return {
    seq: prev.seq,
    problem: 'modified',
    detail: `record ${prev.seq} was rewritten and re-hashed: record ${r.seq} committed to a different hash for it (or a record between them was removed and the rest renumbered)`,
  };
}
