// Where alert events, notification deliveries and custom rules are kept: the AlertHistory interface,
// and an in-memory implementation (bounded) for tools and tests that run without a store.
import type { AlertRule } from './rules.ts';
import type { AlertEvent, DeliveryRecord } from './types.ts';

export interface HistoryQuery {
  /** Only events at or after this time (ISO-8601 or epoch ms). */
  since?: string | number;
  rule?: string;
  instanceKey?: string;
  /** Newest first; default 100, at most 1000. */
  limit?: number;
}

export interface StoredRule {
  rule: AlertRule;
  updatedAt: string;
  updatedBy: string;
}

export interface AlertHistory {
  recordEvent(event: AlertEvent): Promise<void>;
  /** Events, newest first. */
  events(query?: HistoryQuery): Promise<AlertEvent[]>;
  /** The last event of every instance whose last event is pending or firing: what was active when
   * the process stopped, so a restarted engine can resolve it instead of forgetting it. */
  lastActive(): Promise<AlertEvent[]>;
  /** Inserts the record, or replaces the one with the same id. */
  saveDelivery(record: DeliveryRecord): Promise<void>;
  /** Deliveries of one event (oldest first), or the latest ones of every event (newest first). */
  deliveries(query: { eventId?: string; limit?: number }): Promise<DeliveryRecord[]>;
  /** Custom rules kept in the store (the admin API's), besides those of the config file. */
  listRules(): Promise<StoredRule[]>;
  saveRule(rule: AlertRule, actor: string): Promise<void>;
  deleteRule(name: string): Promise<boolean>;
}

export const DEFAULT_HISTORY_LIMIT = 100;
export const MAX_HISTORY_LIMIT = 1000;

export function clampLimit(limit: number | undefined): number {
  if (limit === undefined || !Number.isFinite(limit)) return DEFAULT_HISTORY_LIMIT;
  return Math.max(1, Math.min(MAX_HISTORY_LIMIT, Math.floor(limit)));
}

export function sinceIso(since: string | number | undefined): string | undefined {
  if (since === undefined) return undefined;
  const d = new Date(since);
  if (Number.isNaN(d.getTime())) return undefined;
  return d.toISOString();
}

/** Keeps the last `capacity` events and deliveries in memory; nothing survives a restart. */
export function memoryHistory(capacity = 10_000): AlertHistory {
  const events: AlertEvent[] = [];
  const deliveries = new Map<string, DeliveryRecord>();
  const rules = new Map<string, StoredRule>();
  return {
    async recordEvent(event) {
      events.push(event);
      if (events.length > capacity) events.splice(0, events.length - capacity);
    },
    async events(query = {}) {
      const since = sinceIso(query.since);
      const out: AlertEvent[] = [];
      for (let i = events.length - 1; i >= 0 && out.length < clampLimit(query.limit); i--) {
        const e = events[i];
        if (since !== undefined && e.at < since) continue;
        if (query.rule !== undefined && e.rule !== query.rule) continue;
        if (query.instanceKey !== undefined && e.instanceKey !== query.instanceKey) continue;
        out.push(e);
      }
      return out;
    },
    async lastActive() {
      const last = new Map<string, AlertEvent>();
      for (const e of events) last.set(e.instanceKey, e);
      return [...last.values()].filter((e) => e.state === 'pending' || e.state === 'firing');
    },
    async saveDelivery(record) {
      deliveries.set(record.id, { ...record });
      if (deliveries.size > capacity) deliveries.delete(deliveries.keys().next().value as string);
    },
    async deliveries(query) {
      const all = [...deliveries.values()];
      if (query.eventId !== undefined) return all.filter((d) => d.eventId === query.eventId);
      return all.reverse().slice(0, clampLimit(query.limit));
    },
    async listRules() {
      return [...rules.values()].sort((a, b) => (a.rule.name < b.rule.name ? -1 : 1));
    },
    async saveRule(rule, actor) {
      rules.set(rule.name, { rule, updatedAt: new Date().toISOString(), updatedBy: actor });
    },
    async deleteRule(name) {
      return rules.delete(name);
    },
  };
}
