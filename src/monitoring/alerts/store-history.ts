// AlertHistory on the Store (migration 4): one query code for SQLite and PostgreSQL.
import type { Store } from '../../store/index.ts';
import { alertRuleSchema } from './rules.ts';
import { clampLimit, sinceIso, type AlertHistory } from './history.ts';
import type { AlertEvent, AlertState, DeliveryRecord, DeliveryState, Severity } from './types.ts';

type EventRow = {
  id: string; instance_key: string; rule: string; labels_json: string; state: string; severity: string;
  value: number | null; description: string; active_at: string; fired_at: string | null; resolved_at: string | null; at: string;
};

function toEvent(r: EventRow): AlertEvent {
  return {
    id: r.id,
    instanceKey: r.instance_key,
    rule: r.rule,
    labels: JSON.parse(r.labels_json) as Record<string, string>,
    state: r.state as AlertState,
    // pg returns double precision as a number; keep null as null.
    value: r.value === null ? null : Number(r.value),
    severity: r.severity as Severity,
    description: r.description,
    activeAt: r.active_at,
    firedAt: r.fired_at,
    resolvedAt: r.resolved_at,
    at: r.at,
  };
}

const EVENT_COLUMNS = [
  'id', 'instance_key', 'rule', 'labels_json', 'state', 'severity', 'value', 'description', 'active_at', 'fired_at', 'resolved_at', 'at',
] as const;

export function storeHistory(store: Store): AlertHistory {
  const { db } = store;
  return {
    async recordEvent(e) {
      await db
        .insertInto('alert_events')
        .values({
          id: e.id, instance_key: e.instanceKey, rule: e.rule, labels_json: JSON.stringify(e.labels), state: e.state,
          severity: e.severity, value: e.value, description: e.description, active_at: e.activeAt, fired_at: e.firedAt,
          resolved_at: e.resolvedAt, at: e.at,
        })
        .execute();
    },
    async events(query = {}) {
      let q = db.selectFrom('alert_events').select(EVENT_COLUMNS);
      const since = sinceIso(query.since);
      if (since !== undefined) q = q.where('at', '>=', since);
      if (query.rule !== undefined) q = q.where('rule', '=', query.rule);
      if (query.instanceKey !== undefined) q = q.where('instance_key', '=', query.instanceKey);
      const rows = await q.orderBy('seq', 'desc').limit(clampLimit(query.limit)).execute();
      return rows.map(toEvent);
    },
    async lastActive() {
      const rows = await db
        .selectFrom('alert_events')
        .select(EVENT_COLUMNS)
        .where('seq', 'in', (eb) => eb.selectFrom('alert_events').select((e) => e.fn.max('seq').as('m')).groupBy('instance_key'))
        .where('state', 'in', ['pending', 'firing'])
        .orderBy('seq')
        .execute();
      return rows.map(toEvent);
    },
    async saveDelivery(d) {
      const values = {
        event_id: d.eventId, target: d.target, attempts: d.attempts, last_status: d.lastStatus, last_error: d.lastError,
        state: d.state, delivered_at: d.deliveredAt, updated_at: d.updatedAt,
      };
      await db
        .insertInto('alert_notifications')
        .values({ id: d.id, ...values })
        .onConflict((oc) => oc.column('id').doUpdateSet(values))
        .execute();
    },
    async deliveries(query) {
      let q = db.selectFrom('alert_notifications').selectAll();
      q = query.eventId !== undefined
        ? q.where('event_id', '=', query.eventId).orderBy('updated_at').orderBy('id')
        : q.orderBy('updated_at', 'desc').orderBy('id').limit(clampLimit(query.limit));
      const rows = await q.execute();
      return rows.map((r): DeliveryRecord => ({
        id: r.id, eventId: r.event_id, target: r.target, attempts: Number(r.attempts), lastStatus: r.last_status === null ? null : Number(r.last_status),
        lastError: r.last_error, state: r.state as DeliveryState, deliveredAt: r.delivered_at, updatedAt: r.updated_at,
      }));
    },
    async listRules() {
      const rows = await db.selectFrom('alert_rules').selectAll().orderBy('name').execute();
      return rows.map((r) => ({ rule: alertRuleSchema.parse(JSON.parse(r.rule_json)), updatedAt: r.updated_at, updatedBy: r.updated_by }));
    },
    async saveRule(rule, actor) {
      const values = { rule_json: JSON.stringify(rule), updated_at: new Date().toISOString(), updated_by: actor };
      await db
        .insertInto('alert_rules')
        .values({ name: rule.name, ...values })
        .onConflict((oc) => oc.column('name').doUpdateSet(values))
        .execute();
    },
    async deleteRule(name) {
      const result = await db.deleteFrom('alert_rules').where('name', '=', name).executeTakeFirst();
      return Number(result.numDeletedRows) > 0;
    },
  };
}
