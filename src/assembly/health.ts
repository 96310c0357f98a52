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
 * Whether the audit chain is broken: a failed write, or a failed verification. The whole chain is
 * verified at most every ten minutes, since verification reads every record.
 */
export function auditHealth(log: AuditLog, store: Store, publicKey: KeyObject): () => Promise<boolean> {
  let checkedAt = 0;
  let broken = false;
  return async () => {
    if (log.stats().failedFlushes > 0) return true;
    if (Date.now() - checkedAt > 600_000) {
      checkedAt = Date.now();
      broken = !(await verifyAuditLog(store, { publicKeys: [publicKey] })).ok;
    }
    return broken;
  };
}
