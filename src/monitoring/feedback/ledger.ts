// Ground-truth labels in the store: one row per labelled request, written when the label is counted.
// The primary key makes "labelled once" hold across replicas and restarts: a second label for the
// same request, wherever it arrives, inserts nothing and is answered `duplicate`.
import type { Store } from '../../store/index.ts';

export interface LedgerLabel {
  requestId: string;
  version: string;
  predicted: string;
  label: string;
  principal: string;
}

/** Rows per INSERT: far below both engines' limits on bound parameters (7 per row). */
const CHUNK = 200;

/**
 * Records the labels not recorded before; returns the request ids recorded now. All or nothing: a
 * failure part-way records none (the caller counts none), and rows go in sorted so that two
 * overlapping batches on PostgreSQL take their locks in one order and cannot deadlock.
 */
export async function claimLabels(store: Store, model: string, labels: readonly LedgerLabel[], now = Date.now()): Promise<Set<string>> {
  const at = new Date(now).toISOString();
  const sorted = [...labels].sort((a, b) => (a.requestId < b.requestId ? -1 : a.requestId > b.requestId ? 1 : 0));
  return store.transaction(async (trx) => {
    const claimed = new Set<string>();
    for (let i = 0; i < sorted.length; i += CHUNK) {
      const rows = sorted.slice(i, i + CHUNK).map((l) => ({
        model, request_id: l.requestId, version: l.version, predicted: l.predicted, label: l.label, principal: l.principal, at,
      }));
      const inserted = await trx
        .insertInto('feedback_labels')
        .values(rows)
        .onConflict((oc) => oc.columns(['model', 'request_id']).doNothing())
        .returning('request_id')
        .execute();
      for (const r of inserted) claimed.add(r.request_id);
    }
    return claimed;
  });
}
