// Registry contract, part 4: changes racing from two replicas keep every invariant.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { GetHarness } from './contract.ts';
import { freshModel, makePackage, registerAll } from './fixtures.ts';

export function concurrencyCases(get: GetHarness): void {
  test('concurrent promotions from two replicas all succeed and leave one production version with a consistent history', async () => {
    const h = get();
    const name = freshModel('race');
    const versions = ['1', '2', '3', '4'];
    await registerAll(h, name, versions);
    const calls = [];
    for (let round = 0; round < 5; round++) {
      for (const [i, v] of versions.entries()) {
        const replica = i % 2 === 0 ? h.registry : h.replica;
        calls.push(replica.promote(name, v, `replica-${i % 2}`));
      }
    }
    const results = await Promise.allSettled(calls);
    const failures = results.filter((r) => r.status === 'rejected');
    assert.deepEqual(failures, []);

    const rows = await h.store.db.selectFrom('model_versions').select(['version', 'stage', 'promoted_seq']).where('model_name', '=', name).execute();
    const production = rows.filter((r) => r.stage === 'production');
    assert.equal(production.length, 1);
    assert.equal((await h.registry.resolve(name, 'production')).version, production[0].version);
    const seqs = rows.map((r) => r.promoted_seq).filter((s) => s !== null);
    assert.equal(new Set(seqs).size, seqs.length);
    const top = rows.reduce((a, b) => (Number(b.promoted_seq ?? -1) > Number(a.promoted_seq ?? -1) ? b : a));
    assert.equal(top.version, production[0].version);
    // Serialised changes chain: each promotion replaced the production version the previous one set.
    const promotions = (await h.registry.history(name)).filter((e) => e.action === 'promote');
    for (let i = 1; i < promotions.length; i++) {
      assert.equal(promotions[i].before?.production, promotions[i - 1].after?.production, `promotion ${i} did not see promotion ${i - 1}`);
    }
    assert.equal(promotions.at(-1)?.after?.production, production[0].version);
  });

  test('concurrent promotions and rollbacks never leave the alias and the stages disagreeing', async () => {
    const h = get();
    const name = freshModel('race');
    await registerAll(h, name, ['1', '2', '3']);
    await h.registry.promote(name, '1', 'carol');
    const calls = [
      h.registry.promote(name, '2', 'carol'), h.replica.promote(name, '3', 'carol'),
      h.registry.rollback(name, 'dave'), h.replica.rollback(name, 'dave'),
      h.replica.promote(name, '2', 'carol'), h.registry.rollback(name, 'dave'),
    ];
    const results = await Promise.allSettled(calls);
    for (const r of results) {
      if (r.status === 'rejected') assert.equal((r.reason as { code?: string }).code, 'MG_CONFLICT', String(r.reason));
    }
    const versions = await h.registry.listVersions(name);
    const production = versions.filter((v) => v.stage === 'production');
    assert.ok(production.length <= 1);
    const alias = (await h.registry.getModel(name)).aliases.production;
    assert.equal(alias, production[0]?.version);
  });

  test('the same package registered at once by two replicas is stored once', async () => {
    const h = get();
    const name = freshModel('race');
    const bytes = await makePackage(name, '1', { key: h.key });
    const results = await Promise.all([
      h.registry.register({ bytes, actor: 'a', trustedKeys: h.trusted }),
      h.replica.register({ bytes, actor: 'b', trustedKeys: h.trusted }),
      h.registry.register({ bytes, actor: 'c', trustedKeys: h.trusted }),
    ]);
    assert.equal(results.filter((r) => r.created).length, 1);
    assert.equal(new Set(results.map((r) => r.version.packageSha256)).size, 1);
    assert.equal((await h.registry.history(name)).length, 1);
    assert.deepEqual(await h.registry.packageBytes(name, '1'), bytes);
  });
}
