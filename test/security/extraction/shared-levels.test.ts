// Extraction levels in the store, on a SQLite file and on the real PostgreSQL: what one replica
// raises another reads, a lower level never overwrites a higher one, levels decay one step per
// cooldown (critical never) and fresh evidence renews them, a lift reaches the other replicas once
// and is not undone by a replica whose state predates it, a lift during a refresh is not lost, a raise
// the store refused is retried, dead rows are pruned, and concurrent raises keep the higher level.
import { after, test } from 'node:test';
import assert from 'node:assert/strict';
import { SharedLevels } from '../../../src/security/extraction/index.ts';
import type { Store } from '../../../src/store/index.ts';
import { ModelGateError } from '../../../src/errors.ts';
import { postgresTarget, sqliteTarget, type StoreTarget } from '../../store/targets.ts';

const HOUR = 3_600_000;
const cleanups: (() => Promise<void>)[] = [];
after(async () => {
  for (const c of cleanups) await c();
});

async function open(target: StoreTarget): Promise<Store> {
  const store = await target.open();
  cleanups.push(async () => {
    await store.close();
    await target.cleanup();
  });
  return store;
}

for (const make of [sqliteTarget, postgresTarget]) {
  const label = make === sqliteTarget ? 'sqlite' : 'postgres';
  let now = Date.parse('2026-11-22T00:00:00Z');
  const clock = () => now;
  const replica = (store: Store, name: string) => new SharedLevels(store, { cooldownMs: 24 * HOUR, replica: name, clock });

  test(`${label}: a level raised by one replica is read by another, and never lowered by a weaker raise`, async () => {
    const target = make();
    const store = await open(target);
    const a = replica(store, 'a');
    const b = replica(store, 'b');
    await Promise.all([a.refresh(), b.refresh()]);
    await a.raise('key:p1', 'spam', 'likely', 'score 2 after 300 queries');
    assert.equal(a.floor('key:p1', 'spam'), 'likely', 'the raiser holds it at once');
    assert.equal(b.floor('key:p1', 'spam'), 'none', 'the other replica has not read yet');
    assert.deepEqual(await b.refresh(), []);
    assert.equal(b.floor('key:p1', 'spam'), 'likely');
    assert.equal(b.floor('key:p1', 'other-model'), 'none');
    await b.raise('key:p1', 'spam', 'suspect', 'score 1');
    await a.refresh();
    assert.equal(a.floor('key:p1', 'spam'), 'likely', 'suspect does not overwrite likely');
    await b.raise('key:p1', 'spam', 'critical', 'score 5');
    await a.refresh();
    const [entry] = a.entries();
    assert.deepEqual([entry.level, entry.updatedBy, entry.reason], ['critical', 'b', 'score 5']);
  });

  test(`${label}: stored levels fall one step per cooldown, critical never; a raise over a decayed level is stored`, async () => {
    const target = make();
    const store = await open(target);
    const a = replica(store, 'a');
    await a.refresh();
    await a.raise('key:d', 'spam', 'confirmed', 'score 3');
    await a.raise('key:c', 'spam', 'critical', 'score 5');
    now += 24 * HOUR + 1;
    assert.equal(a.floor('key:d', 'spam'), 'likely');
    now += 48 * HOUR;
    assert.equal(a.floor('key:d', 'spam'), 'none');
    assert.equal(a.floor('key:c', 'spam'), 'critical');
    assert.deepEqual(a.entries().map((e) => e.principal), ['key:c'], 'a decayed pair is not listed');
    await a.raise('key:d', 'spam', 'suspect', 'score 1');
    const b = replica(store, 'b');
    await b.refresh();
    assert.equal(b.floor('key:d', 'spam'), 'suspect', 'stored over the decayed confirmed');
  });

  test(`${label}: a lift reaches the other replicas once; a fresh replica has nothing to forget`, async () => {
    const target = make();
    const store = await open(target);
    const a = replica(store, 'a');
    const b = replica(store, 'b');
    await Promise.all([a.refresh(), b.refresh()]);
    await a.raise('jwt:https://idp/x:alice/1', 'spam', 'critical', 'score 5');
    await b.refresh();
    assert.deepEqual(await b.lift('jwt:https://idp/x:alice/1', 'spam', 'key:operator'), { known: true, before: 'critical' });
    assert.equal(b.floor('jwt:https://idp/x:alice/1', 'spam'), 'none');
    assert.deepEqual(await b.refresh(), [], 'the lifting replica applied the lift itself');
    assert.deepEqual(await a.refresh(), [{ principal: 'jwt:https://idp/x:alice/1', model: 'spam' }]);
    assert.equal(a.floor('jwt:https://idp/x:alice/1', 'spam'), 'none');
    assert.deepEqual(await a.refresh(), [], 'reported once');
    assert.deepEqual(await replica(store, 'c').refresh(), []);
    assert.deepEqual(await a.lift('key:nobody', 'spam', 'key:operator'), { known: false, before: 'none' });
    assert.deepEqual(await a.lift('jwt:https://idp/x:alice/1', 'spam', 'key:operator'), { known: false, before: 'none' }, 'a lift is not lifted again');
    await a.raise('jwt:https://idp/x:alice/1', 'spam', 'suspect', 'score 1');
    await b.refresh();
    assert.equal(b.floor('jwt:https://idp/x:alice/1', 'spam'), 'suspect', 'a lifted pair can be raised again');
  });

  test(`${label}: a replica whose state predates a lift cannot undo it; a decayed level is still lifted`, async () => {
    const store = await open(make());
    const a = replica(store, 'a');
    const b = replica(store, 'b');
    await Promise.all([a.refresh(), b.refresh()]);
    assert.equal(await a.raise('key:s', 'spam', 'likely', 'score 2'), 'stored');
    await b.refresh();
    assert.equal((await b.lift('key:s', 'spam', 'key:operator')).before, 'likely');
    // a has not read the lift; its ladder, formed before it, steps up.
    assert.equal(await a.raise('key:s', 'spam', 'confirmed', 'score 3'), 'lifted');
    await b.refresh();
    assert.equal(b.floor('key:s', 'spam'), 'none', 'the lift stands');
    assert.equal(a.floor('key:s', 'spam'), 'none');
    assert.deepEqual(await a.refresh(), [], 'the raise already told a of the lift');
    assert.equal(await a.raise('key:s', 'spam', 'suspect', 'score 1'), 'stored', 'after the lift, new evidence is stored');

    await a.raise('key:old', 'spam', 'suspect', 'score 1');
    now += 25 * HOUR;
    assert.equal(a.floor('key:old', 'spam'), 'none');
    assert.deepEqual(await b.lift('key:old', 'spam', 'key:operator'), { known: true, before: 'none' }, 'replicas may still hold it on their own');
    assert.deepEqual(await a.refresh(), [{ principal: 'key:old', model: 'spam' }]);
  });

  test(`${label}: fresh evidence at the decayed level renews it`, async () => {
    const store = await open(make());
    const a = replica(store, 'a');
    await a.refresh();
    await a.raise('key:r', 'spam', 'confirmed', 'score 3');
    now += 25 * HOUR;
    assert.equal(a.floor('key:r', 'spam'), 'likely');
    assert.equal(await a.raise('key:r', 'spam', 'likely', 'score 2'), 'stored');
    now += 23 * HOUR;
    assert.equal(a.floor('key:r', 'spam'), 'likely', 'decay counts from the renewal');
    assert.equal(await a.raise('key:r', 'spam', 'suspect', 'score 1'), 'kept');
  });

  test(`${label}: a lift made while a refresh reads is not undone by the refresh's older snapshot`, async () => {
    const store = await open(make());
    let release!: () => void;
    const gate = new Promise<void>((r) => (release = r));
    let hold = false;
    // The refresh's one read finishes its query, then waits at the gate: the lift runs in between.
    const db = new Proxy(store.db, {
      get(target, prop, receiver) {
        if (prop !== 'selectFrom' || !hold) {
          const v = Reflect.get(target, prop, receiver);
          return typeof v === 'function' ? v.bind(target) : v;
        }
        return (table: 'extraction_levels') => ({
          selectAll: () => ({
            execute: async () => {
              const rows = await target.selectFrom(table).selectAll().execute();
              await gate;
              return rows;
            },
          }),
        });
      },
    });
    const a = replica({ ...store, db } as Store, 'a');
    await a.refresh();
    await a.raise('key:l', 'spam', 'critical', 'score 5');
    hold = true;
    const reading = a.refresh();
    assert.equal(a.refresh(), reading, 'one refresh at a time');
    assert.deepEqual(await a.lift('key:l', 'spam', 'key:operator'), { known: true, before: 'critical' });
    release();
    assert.deepEqual(await reading, []);
    hold = false;
    assert.equal(a.floor('key:l', 'spam'), 'none', 'the snapshot predating the lift did not restore the block');
    assert.deepEqual(await a.refresh(), [], 'and its own lift is not reported as another replica\'s');
  });

  test(`${label}: a raise the store refused is retried by the next refresh; dead rows are pruned`, async () => {
    const store = await open(make());
    let down = false;
    const flaky = { ...store, transaction: (fn: never) => (down ? Promise.reject(new ModelGateError('MG_INTERNAL', 'store down')) : store.transaction(fn)) } as Store;
    const a = new SharedLevels(flaky, { cooldownMs: 24 * HOUR, replica: 'a', clock, pruneAfterMs: 48 * HOUR });
    await a.refresh();
    down = true;
    await assert.rejects(a.raise('key:u', 'spam', 'critical', 'score 5'), /store down/);
    down = false;
    await a.refresh();
    const b = replica(store, 'b');
    await b.refresh();
    assert.equal(b.floor('key:u', 'spam'), 'critical', 'stored by the retry');

    await a.raise('key:gone', 'spam', 'suspect', 'score 1');
    await a.raise('key:lifted', 'spam', 'likely', 'score 2');
    await a.lift('key:lifted', 'spam', 'key:operator');
    const count = async () => (await store.db.selectFrom('extraction_levels').select('principal').execute()).map((r) => r.principal).sort();
    assert.deepEqual(await count(), ['key:gone', 'key:lifted', 'key:u']);
    now += 49 * HOUR;
    await a.refresh();
    assert.deepEqual(await count(), ['key:u'], 'a decayed level and an old lift are deleted; critical stays');
  });

  test(`${label}: two replicas raising one new pair at once keep the higher level`, async () => {
    const target = make();
    const store = await open(target);
    // Two connections on PostgreSQL. A SQLite file serves one process: its raises queue on the
    // store's one connection, so this checks the decision inside the transaction, not a race.
    const other = label === 'postgres' ? await target.open() : store;
    if (other !== store) cleanups.unshift(() => other.close());
    const a = replica(store, 'a');
    const b = replica(other, 'b');
    for (let i = 0; i < 10; i++) {
      const principal = `key:race${i}`;
      await Promise.all([a.raise(principal, 'spam', i % 2 ? 'likely' : 'critical', 'a'), b.raise(principal, 'spam', i % 2 ? 'critical' : 'likely', 'b')]);
    }
    await a.refresh();
    for (let i = 0; i < 10; i++) assert.equal(a.floor(`key:race${i}`, 'spam'), 'critical');
  });
}
