// What the audit log says a model answered: the version and label of each answered inference, by
// request id, and by `<requestId>/<row>` for the rows of a multi-row request. Feedback for a request
// answered by another replica, or before a restart, is joined through it (docs/drift.md).
import type { Store } from '../store/index.ts';

export interface AuditedPrediction {
  version: string;
  label: string;
  /** Epoch milliseconds of the answer. */
  at: number;
  /** Who asked. */
  principal: string | null;
}

/** Request ids asked for in one query; longer lists are split. */
const CHUNK = 500;
// Row numbers in their one canonical spelling: `<id>/01` is not row 1 (it would label it twice).
const ROW = /^(.+)\/(0|[1-9]\d{0,8})$/;

export async function auditedPredictions(store: Store, model: string, requestIds: readonly string[]): Promise<Map<string, AuditedPrediction>> {
  // Request ids are the server's UUIDs: an id with a row suffix names a row, any other a request.
  const wanted = new Map<string, { id: string; row?: number }[]>();
  const want = (base: string, id: string, row?: number) => {
    let list = wanted.get(base);
    if (!list) wanted.set(base, (list = []));
    list.push({ id, row });
  };
  for (const id of requestIds) {
    const m = ROW.exec(id);
    if (m) want(m[1], id, Number(m[2]));
    else want(id, id);
  }
  const out = new Map<string, AuditedPrediction>();
  const bases = [...wanted.keys()];
  for (let i = 0; i < bases.length; i += CHUNK) {
    const rows = await store.db
      .selectFrom('audit_records')
      .select(['request_id', 'version', 'output_json', 'time', 'principal'])
      .where('kind', '=', 'inference')
      .where('model', '=', model)
      .where('status', '=', 200)
      .where('request_id', 'in', bases.slice(i, i + CHUNK))
      .execute();
    for (const r of rows) {
      if (!r.request_id || !r.version || !r.output_json) continue;
      const labels = labelsOf(r.output_json);
      if (!labels) continue;
      for (const { id, row } of wanted.get(r.request_id) ?? []) {
        const label = row === undefined ? (labels.length === 1 ? labels[0] : undefined) : labels.length > 1 ? labels[row] : undefined;
        if (typeof label === 'string' && !out.has(id)) out.set(id, { version: r.version, label, at: Date.parse(r.time), principal: r.principal });
      }
    }
  }
  return out;
}

/** The per-row labels of an output summary: `labels` for several rows, else `label`. */
function labelsOf(json: string): unknown[] | undefined {
  try {
    const o = JSON.parse(json) as { label?: unknown; labels?: unknown; rows?: unknown };
    if (Array.isArray(o.labels)) return o.labels;
    return o.label === undefined || o.label === null ? undefined : [o.label];
  } catch {
    return undefined;
  }
}
