// Extraction levels in the store, on a SQLite file and on the real PostgreSQL: what one replica
// raises another reads, a lower level never overwrites a higher one, levels decay one step per
// cooldown (critical never), a lift reaches the other replicas once, and two replicas raising the
// same new pair at once keep the higher level.
import { after, test } from 'node:test';
import assert from 'node:assert/strict';
import { SharedLevels } from '../../../src/security/extraction/index.ts';
import type { Store } from '../../../src/store/index.ts';
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
    assert.equal(await b.lift('jwt:https://idp/x:alice/1', 'spam', 'key:operator'), 'critical');
    assert.equal(b.floor('jwt:https://idp/x:alice/1', 'spam'), 'none');
    assert.deepEqual(await b.refresh(), [], 'the lifting replica applied the lift itself');
    assert.deepEqual(await a.refresh(), [{ principal: 'jwt:https://idp/x:alice/1', model: 'spam' }]);
    assert.equal(a.floor('jwt:https://idp/x:alice/1', 'spam'), 'none');
    assert.deepEqual(await a.refresh(), [], 'reported once');
    assert.deepEqual(await replica(store, 'c').refresh(), []);
    assert.equal(await a.lift('key:nobody', 'spam', 'key:operator'), 'none');
    await a.raise('jwt:https://idp/x:alice/1', 'spam', 'suspect', 'score 1');
    await b.refresh();
    assert.equal(b.floor('jwt:https://idp/x:alice/1', 'spam'), 'suspect', 'a lifted pair can be raised again');
  });

  test(`${label}: two replicas raising one new pair at once keep the higher level`, async () => {
    const target = make();
    const store = await open(target);
    // Two connections on PostgreSQL; SQLite serves one process, whose raises share its one connection.
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
