// Health of what the server depends on: the store (for readiness) and the audit chain (for alerts).
import type { KeyObject } from 'node:crypto';
import { sql } from 'kysely';
import { verifyAuditLog, type AuditLog } from '../audit/index.ts';
import type { Store } from '../store/index.ts';

/** Whether the store answers a trivial query within a second; the answer is kept for a second,
 * so probes cost at most one query a second. */
export function storeCheck(store: Store): () => Promise<boolean> {
  let at = 0;
  let last: Promise<boolean> = Promise.resolve(true);
  return () => {
    if (Date.now() - at > 1000) {
      at = Date.now();
      const timeout = new Promise<boolean>((resolve) => setTimeout(() => resolve(false), 1000).unref());
      last = Promise.race([sql`select 1`.execute(store.db).then(() => true, () => false), timeout]);
    }
    return last;
  };
}

/**
 * Whether the audit chain is broken, i.e. fails verification. The whole chain is verified at most every
 * ten minutes, since verification reads every record. A failed write (a database that did not answer
 * in time, a full disk) is not by itself a broken chain: the refused records never entered it, and the
 * request they belonged to was not answered. It does make the next check verify at once (at most once
 * a minute), in case the failure left something behind.
 */
export function auditHealth(log: AuditLog, store: Store, publicKey: KeyObject, now: () => number = Date.now): () => Promise<boolean> {
  let checkedAt = -Infinity;
  let failuresSeen = 0;
  let broken = false;
  return async () => {
    const failures = log.stats().failedFlushes;
    const due = now() - checkedAt > 600_000 || (failures > failuresSeen && now() - checkedAt > 60_000);
    if (due) {
      checkedAt = now();
      failuresSeen = failures;
      // A failed walk is checked once more: an archive committing during it (another replica's
      // retention) makes records vanish mid-walk, which is not tampering; tampering fails twice.
      broken = !(await verifyAuditLog(store, { publicKeys: [publicKey] })).ok && !(await verifyAuditLog(store, { publicKeys: [publicKey] })).ok;
    }
    return broken;
  };
}
