// The auditor's reads: records by time range, principal, model, request id, flag and kind, in
// chain order with a seq cursor; and the same filter exported as JSON lines, hashes included, so
// an export can be checked against the chain.
import { once } from 'node:events';
import type { Writable } from 'node:stream';
import { ModelGateError } from '../errors.ts';
import type { Store } from '../store/index.ts';
import { toRecord } from './rows.ts';
import { FLAG_PATTERN, type AuditKind, type AuditRecord } from './types.ts';

export interface AuditFilter {
  /** Inclusive, ISO-8601. */
  fromTime?: string;
  /** Exclusive, ISO-8601. */
  toTime?: string;
  fromSeq?: number;
  toSeq?: number;
  principal?: string;
  model?: string;
  requestId?: string;
  /** Records carrying this flag. */
  flag?: string;
  /** Records carrying any flag. */
  flagged?: boolean;
  kind?: AuditKind;
}

export interface AuditPage {
  records: AuditRecord[];
  /** Pass as `after` for the next page; absent on the last page. */
  nextCursor?: number;
}

const MAX_LIMIT = 1000;

export async function queryAuditRecords(store: Store, filter: AuditFilter, page: { limit?: number; after?: number } = {}): Promise<AuditPage> {
  const limit = Math.min(Math.max(1, page.limit ?? 100), MAX_LIMIT);
  let q = store.db.selectFrom('audit_records').selectAll();
  const time = (t: string) => {
    const ms = Date.parse(t);
    if (Number.isNaN(ms)) throw new ModelGateError('MG_INVALID_REQUEST', `'${t}' is not a date`);
    return new Date(ms).toISOString();
  };
  // Stored times are toISOString() text, so text order is time order on both engines.
  if (filter.fromTime !== undefined) q = q.where('time', '>=', time(filter.fromTime));
  if (filter.toTime !== undefined) q = q.where('time', '<', time(filter.toTime));
  if (filter.fromSeq !== undefined) q = q.where('seq', '>=', filter.fromSeq);
  if (filter.toSeq !== undefined) q = q.where('seq', '<=', filter.toSeq);
  if (filter.principal !== undefined) q = q.where('principal', '=', filter.principal);
  if (filter.model !== undefined) q = q.where('model', '=', filter.model);
  if (filter.requestId !== undefined) q = q.where('request_id', '=', filter.requestId);
  if (filter.kind !== undefined) q = q.where('kind', '=', filter.kind);
  if (filter.flagged) q = q.where('flags_json', '<>', '[]');
  if (filter.flag !== undefined) {
    if (!FLAG_PATTERN.test(filter.flag)) throw new ModelGateError('MG_INVALID_REQUEST', `'${filter.flag}' is not a flag name`);
    // flags_json is a canonical array of pattern-checked names, so the quoted name matches exactly one flag.
    q = q.where('flags_json', '<>', '[]').where('flags_json', 'like', `%"${filter.flag}"%`);
  }
  if (page.after !== undefined) q = q.where('seq', '>', page.after);
  const rows = (await q.orderBy('seq').limit(limit + 1).execute()).map(toRecord);
  const more = rows.length > limit;
  const records = more ? rows.slice(0, limit) : rows;
  return { records, ...(more ? { nextCursor: records[records.length - 1].seq } : {}) };
}

/** One JSON document per line, per record in chain order, columns exactly as stored (the `*_json`
 * columns as their canonical text) so each line's hash can be recomputed. Returns the count. */
export async function exportAuditJsonl(store: Store, filter: AuditFilter, out: Writable): Promise<number> {
  let after: number | undefined;
  let count = 0;
  for (;;) {
    const page = await queryAuditRecords(store, filter, { limit: MAX_LIMIT, ...(after === undefined ? {} : { after }) });
    for (const r of page.records) {
      if (!out.write(`${JSON.stringify(r)}\n`)) await once(out, 'drain');
      count++;
    }
    if (page.nextCursor === undefined) return count;
    after = page.nextCursor;
  }
}
