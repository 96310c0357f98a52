// Registry contract, part 2: aliases, resolve, and the promote / rollback chain.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { GetHarness } from './contract.ts';
import { freshModel, registerAll } from './fixtures.ts';

export function aliasCases(get: GetHarness): void {
  const stages = async (name: string) =>
    Object.fromEntries((await get().registry.listVersions(name)).map((v) => [v.version, v.stage]));

  test('aliases: staging stages a registered version; user aliases move freely; resolve prefers aliases', async () => {
    const { registry } = get();
    const name = freshModel('alias');
    await registerAll(get(), name, ['1', '2', 'canary']);
    const staged = await registry.setAlias(name, 'staging', '1', 'bob', 'ready for QA');
    assert.equal(staged.stage, 'staging');
    assert.deepEqual(staged.aliases, ['staging']);
    await registry.setAlias(name, 'canary', '2', 'bob');
    assert.equal((await registry.getVersion(name, '2')).stage, 'registered');
    assert.equal((await registry.resolve(name, 'canary')).version, '2'); // the alias wins over version 'canary'
    assert.equal((await registry.resolve(name, '1')).version, '1');
    await registry.setAlias(name, 'canary', '1', 'bob');
    assert.deepEqual((await registry.getModel(name)).aliases, { canary: '1', staging: '1' });
    assert.deepEqual((await registry.getVersion(name, '1')).aliases, ['canary', 'staging']);
    await registry.removeAlias(name, 'canary', 'bob');
    assert.equal((await registry.resolve(name, 'canary')).version, 'canary');
    await assert.rejects(registry.removeAlias(name, 'canary', 'bob'), { code: 'MG_NOT_FOUND' });
    await assert.rejects(registry.setAlias(name, 'qa', '9', 'bob'), { code: 'MG_VERSION_NOT_FOUND' });
    await assert.rejects(registry.setAlias('no-such-model', 'qa', '1', 'bob'), { code: 'MG_MODEL_NOT_FOUND' });
  });

  test('aliases: names outside /^[a-z][a-z0-9-]{0,31}$/ are MG_INVALID_REQUEST', async () => {
    const { registry } = get();
    const name = freshModel('alias');
    await registerAll(get(), name, ['1']);
    for (const bad of ['Prod', '1st', '-x', 'a'.repeat(33), '../x', 'a b', 'a_b', '']) {
      await assert.rejects(registry.setAlias(name, bad, '1', 'bob'), { code: 'MG_INVALID_REQUEST' }, bad);
    }
    await registry.setAlias(name, `a${'b'.repeat(31)}`, '1', 'bob');
  });

  test('promote: the new version takes production, the previous one goes back to staging', async () => {
    const { registry } = get();
    const name = freshModel('promo');
    await registerAll(get(), name, ['1', '2']);
    const p1 = await registry.promote(name, '1', 'carol');
    assert.equal(p1.stage, 'production');
    assert.deepEqual(p1.aliases, ['production']);
    const p2 = await registry.setAlias(name, 'production', '2', 'carol'); // same as promote
    assert.equal(p2.stage, 'production');
    assert.deepEqual(await stages(name), { 1: 'staging', 2: 'production' });
    const model = await registry.getModel(name);
    assert.equal(model.productionVersion, '2');
    assert.deepEqual(model.aliases, { production: '2' });
    // Promoting the production version again is a no-op, not a new history entry.
    const before = (await registry.history(name)).length;
    await registry.promote(name, '2', 'carol');
    assert.equal((await registry.history(name)).length, before);
  });

  test('rollback walks back through production versions, then refuses with MG_CONFLICT', async () => {
    const { registry } = get();
    const name = freshModel('roll');
    await registerAll(get(), name, ['1', '2', '3']);
    await assert.rejects(registry.rollback(name, 'dave'), { code: 'MG_CONFLICT', message: /has no production version/ });
    for (const v of ['1', '2', '3']) await registry.promote(name, v, 'carol');
    assert.equal((await registry.rollback(name, 'dave', '3 misclassifies')).version, '2');
    assert.deepEqual(await stages(name), { 1: 'staging', 2: 'production', 3: 'staging' });
    assert.equal((await registry.resolve(name, 'production')).version, '2');
    assert.equal((await registry.rollback(name, 'dave')).version, '1');
    await assert.rejects(registry.rollback(name, 'dave'), { code: 'MG_CONFLICT', message: /no previous production version/ });
    assert.equal((await registry.resolve(name, 'production')).version, '1');
    // Re-promoting moves a version to the top: promote 3 then 1 again, rollback goes to 3.
    await registry.promote(name, '3', 'carol');
    await registry.promote(name, '1', 'carol');
    assert.equal((await registry.rollback(name, 'dave')).version, '3');
  });

  test('removing the production alias takes the model out of production; rollback then refuses', async () => {
    const { registry } = get();
    const name = freshModel('unprod');
    await registerAll(get(), name, ['1', '2']);
    await registry.promote(name, '1', 'carol');
    await registry.promote(name, '2', 'carol');
    await registry.removeAlias(name, 'production', 'carol', 'incident');
    assert.deepEqual(await stages(name), { 1: 'staging', 2: 'staging' });
    assert.equal((await registry.getModel(name)).productionVersion, null);
    await assert.rejects(registry.rollback(name, 'dave'), { code: 'MG_CONFLICT', message: /has no production version/ });
    await registry.promote(name, '1', 'carol');
    assert.equal((await registry.getModel(name)).productionVersion, '1');
  });
}
