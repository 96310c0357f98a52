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

/** Records the labels not recorded before; returns the request ids recorded now. */
export async function claimLabels(store: Store, model: string, labels: readonly LedgerLabel[], now = Date.now()): Promise<Set<string>> {
  const at = new Date(now).toISOString();
  const claimed = new Set<string>();
  for (let i = 0; i < labels.length; i += CHUNK) {
    const rows = labels.slice(i, i + CHUNK).map((l) => ({
      model, request_id: l.requestId, version: l.version, predicted: l.predicted, label: l.label, principal: l.principal, at,
    }));
    const inserted = await store.db
      .insertInto('feedback_labels')
      .values(rows)
      .onConflict((oc) => oc.columns(['model', 'request_id']).doNothing())
      .returning('request_id')
      .execute();
    for (const r of inserted) claimed.add(r.request_id);
  }
  return claimed;
}
