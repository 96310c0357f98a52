// The AlertHistory contract, run against the in-memory history and the store on SQLite and PostgreSQL:
// events newest first with filters and limits, open alerts for restore, delivery records replaced in
// place, custom rules; and an engine whose history survives a reopen of the store.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { AlertEngine, parseRule, storeHistory, type AlertEvent, type AlertHistory, type DeliveryRecord } from '../../../src/monitoring/alerts/index.ts';
import { openStore } from '../../../src/store/index.ts';
import type { StoreTarget } from '../../store/targets.ts';

export interface HistoryTarget {
  label: string;
  /** A fresh, empty history; `reopen` gives a second handle on the same data when the target persists. */
  open(): Promise<{ history: AlertHistory; reopen?: () => Promise<AlertHistory>; close(): Promise<void> }>;
}

/** The store-backed history on a database target: reopen() gives a second store on the same data. */
export function storeHistoryTarget(label: string, makeTarget: () => StoreTarget): HistoryTarget {
  return {
    label,
    async open() {
      const target = makeTarget();
      let store;
      try {
        store = await target.open();
      } catch (err) {
        await target.cleanup();
        throw err;
      }
      const others: { close(): Promise<void> }[] = [];
      return {
        history: storeHistory(store),
        async reopen() {
          const again = await openStore(target.options);
          others.push(again);
          return storeHistory(again);
        },
        async close() {
          for (const o of others) await o.close();
          await store.close();
          await target.cleanup();
        },
      };
    },
  };
}

function event(n: number, over: Partial<AlertEvent> = {}): AlertEvent {
  return {
    id: `00000000-0000-4000-8000-${String(n).padStart(12, '0')}`, instanceKey: 'r{model="m"}', rule: 'r', labels: { model: 'm' },
    state: 'firing', value: 0.25, severity: 'critical', description: 'd', activeAt: '2025-01-01T00:00:00.000Z',
    firedAt: '2025-01-01T00:02:00.000Z', resolvedAt: null, at: new Date(Date.UTC(2025, 0, 1, 0, n)).toISOString(), ...over,
  };
}

export function historyContract(target: HistoryTarget): void {
  async function withHistory(fn: (h: AlertHistory, reopen?: () => Promise<AlertHistory>) => Promise<void>): Promise<void> {
    const opened = await target.open();
    try {
      await fn(opened.history, opened.reopen);
    } finally {
      await opened.close();
    }
  }

  describe(`AlertHistory contract (${target.label})`, () => {
    it('keeps events exactly, newest first, filtered by since, rule and instance, limited', async () => {
      await withHistory(async (h) => {
        await h.recordEvent(event(1, { state: 'pending', firedAt: null, value: null }));
        await h.recordEvent(event(2));
        await h.recordEvent(event(3, { rule: 'other', instanceKey: 'other{}', labels: {}, state: 'resolved', resolvedAt: '2025-01-01T00:03:00.000Z' }));
        const all = await h.events();
        assert.deepEqual(all.map((e) => e.id.slice(-1)), ['3', '2', '1']);
        assert.deepEqual(all[2], event(1, { state: 'pending', firedAt: null, value: null }), 'round trip, nulls included');
        assert.deepEqual(all[1], event(2));
        assert.deepEqual((await h.events({ rule: 'r' })).map((e) => e.id.slice(-1)), ['2', '1']);
        assert.deepEqual((await h.events({ instanceKey: 'other{}' })).map((e) => e.id.slice(-1)), ['3']);
        assert.deepEqual((await h.events({ since: '2025-01-01T00:02:00.000Z' })).map((e) => e.id.slice(-1)), ['3', '2']);
        assert.deepEqual((await h.events({ since: Date.UTC(2025, 0, 1, 0, 3) })).map((e) => e.id.slice(-1)), ['3']);
        assert.deepEqual((await h.events({ limit: 1 })).map((e) => e.id.slice(-1)), ['3']);
      });
    });

    it('lastActive: instances whose last event is pending or firing', async () => {
      await withHistory(async (h) => {
        await h.recordEvent(event(1, { instanceKey: 'a{}', state: 'pending' }));
        await h.recordEvent(event(2, { instanceKey: 'a{}', state: 'firing' }));
        await h.recordEvent(event(3, { instanceKey: 'b{}', state: 'firing' }));
        await h.recordEvent(event(4, { instanceKey: 'b{}', state: 'resolved' }));
        await h.recordEvent(event(5, { instanceKey: 'c{}', state: 'pending' }));
        await h.recordEvent(event(6, { instanceKey: 'd{}', state: 'pending' }));
        await h.recordEvent(event(7, { instanceKey: 'd{}', state: 'inactive' }));
        assert.deepEqual((await h.lastActive()).map((e) => `${e.instanceKey}:${e.state}`).sort(), ['a{}:firing', 'c{}:pending']);
      });
    });

    it('saves a delivery and replaces it in place as attempts go on', async () => {
      await withHistory(async (h) => {
        const d: DeliveryRecord = {
          id: 'd1', eventId: 'e1', target: 'https://x.example.com/hook', attempts: 0, lastStatus: null, lastError: null, state: 'pending',
          deliveredAt: null, updatedAt: '2025-01-01T00:00:00.000Z',
        };
        await h.saveDelivery(d);
        await h.saveDelivery({ ...d, attempts: 1, lastStatus: 500, lastError: 'HTTP 500', updatedAt: '2025-01-01T00:00:01.000Z' });
        await h.saveDelivery({ ...d, attempts: 2, lastStatus: 200, lastError: null, state: 'delivered', deliveredAt: '2025-01-01T00:00:03.000Z', updatedAt: '2025-01-01T00:00:03.000Z' });
        await h.saveDelivery({ ...d, id: 'd2', eventId: 'e2', target: 'other', state: 'failed', attempts: 5, lastError: 'ECONNREFUSED', updatedAt: '2025-01-01T00:00:09.000Z' });
        const one = await h.deliveries({ eventId: 'e1' });
        assert.deepEqual(one, [{ ...d, attempts: 2, lastStatus: 200, lastError: null, state: 'delivered', deliveredAt: '2025-01-01T00:00:03.000Z', updatedAt: '2025-01-01T00:00:03.000Z' }]);
        assert.deepEqual((await h.deliveries({})).map((x) => x.id), ['d2', 'd1']);
        assert.deepEqual((await h.deliveries({ limit: 1 })).map((x) => x.id), ['d2']);
      });
    });

    it('stores, replaces and deletes custom rules', async () => {
      await withHistory(async (h) => {
        const rule = parseRule({ name: 'mine', signal: 'x', labels: { model: 'm' }, condition: { op: '>=', threshold: true }, for: 5000 });
        await h.saveRule(rule, 'alice');
        await h.saveRule({ ...rule, severity: 'critical' }, 'bob');
        const rules = await h.listRules();
        assert.equal(rules.length, 1);
        assert.deepEqual(rules[0].rule, { ...rule, severity: 'critical' });
        assert.equal(rules[0].updatedBy, 'bob');
        assert.equal(await h.deleteRule('mine'), true);
        assert.equal(await h.deleteRule('mine'), false);
        assert.deepEqual(await h.listRules(), []);
      });
    });

    it('an engine records its transitions; a second engine restores and resolves them', async () => {
      await withHistory(async (h, reopen) => {
        const rule = parseRule({ name: 'errors', signal: 'error_rate', condition: { op: '>', threshold: 0.05 }, for: 60_000 });
        const first = new AlertEngine({ rules: [rule], history: h });
        first.set('error_rate', { model: 'm', version: '1' }, 0.5);
        await first.evaluate(0);
        await first.evaluate(60_000);
        const second = new AlertEngine({ rules: [rule], history: reopen ? await reopen() : h });
        assert.equal(await second.restore(), 1);
        second.set('error_rate', { model: 'm', version: '1' }, 0);
        const [resolved] = await second.evaluate(75_000);
        assert.equal(resolved.state, 'resolved');
        assert.equal(resolved.activeAt, new Date(0).toISOString());
        const states = (await second.history({ rule: 'errors' })).map((e) => e.state);
        assert.deepEqual(states, ['resolved', 'firing', 'pending']);
      });
    });
  });
}
