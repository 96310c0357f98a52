// Registry contract, part 3: archive and delete refusals (aliased, serving, assigned to be served),
// blob removal, and the history record.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { GetHarness } from './contract.ts';
import { freshModel, registerAll } from './fixtures.ts';

const notServing = { isServing: () => false };

export function lifecycleCases(get: GetHarness): void {
  test('archive: refused for production and aliased versions; leaves the rollback chain', async () => {
    const { registry } = get();
    const name = freshModel('arch');
    await registerAll(get(), name, ['1', '2', '3']);
    await registry.promote(name, '1', 'carol');
    await registry.promote(name, '2', 'carol');
    await assert.rejects(registry.archive(name, '2', 'erin'), { code: 'MG_CONFLICT', message: /in production/ });
    await registry.setAlias(name, 'staging', '3', 'erin');
    await assert.rejects(registry.archive(name, '3', 'erin'), { code: 'MG_CONFLICT', message: /alias 'staging'/ });
    const archived = await registry.archive(name, '1', 'erin', 'superseded');
    assert.equal(archived.stage, 'archived');
    assert.equal((await registry.archive(name, '1', 'erin')).stage, 'archived'); // idempotent
    await assert.rejects(registry.rollback(name, 'dave'), { code: 'MG_CONFLICT', message: /no previous production version/ });
    await assert.rejects(registry.promote(name, '1', 'carol'), { code: 'MG_CONFLICT', message: /archived/ });
    await assert.rejects(registry.setAlias(name, 'old', '1', 'carol'), { code: 'MG_CONFLICT', message: /archived/ });
  });

  test('delete: refused while serving or aliased; removes the record and its blob', async () => {
    const h = get();
    const name = freshModel('del');
    await registerAll(h, name, ['1', '2']);
    await h.registry.promote(name, '1', 'carol');
    const asked: string[] = [];
    await assert.rejects(
      h.registry.delete(name, '2', 'erin', { isServing: (n, v) => (asked.push(`${n}@${v}`), true) }),
      { code: 'MG_CONFLICT', message: /serving traffic/ },
    );
    assert.deepEqual(asked, [`${name}@2`]);
    await assert.rejects(h.registry.delete(name, '1', 'erin', notServing), { code: 'MG_CONFLICT', message: /alias 'production'/ });
    await assert.rejects(h.registry.delete(name, '9', 'erin', notServing), { code: 'MG_VERSION_NOT_FOUND' });
    const { packageSha256 } = await h.registry.getVersion(name, '2');
    assert.equal(await h.blobs.has(packageSha256), true);
    assert.deepEqual(await h.registry.delete(name, '2', 'erin', { isServing: async () => false, reason: 'cleanup' }), { blobRemoved: true });
    assert.equal(await h.blobs.has(packageSha256), false);
    await assert.rejects(h.registry.getVersion(name, '2'), { code: 'MG_VERSION_NOT_FOUND' });
    await assert.rejects(h.registry.packageBytes(name, '2'), { code: 'MG_VERSION_NOT_FOUND' });
    assert.deepEqual((await h.registry.getModel(name)).versions, ['1']);
  });

  test('delete: refused with a conflict while assigned to be served, even when not loaded here', async () => {
    const h = get();
    const name = freshModel('assigned');
    await registerAll(h, name, ['1', '2']);
    await h.registry.promote(name, '1', 'carol');
    // What `load` writes; the version is not in memory (isServing says no), as after a failed load.
    await h.store.db.insertInto('served_versions').values({ model_name: name, version: '2', loaded_at: new Date().toISOString(), loaded_by: 'erin' }).execute();
    await assert.rejects(h.registry.delete(name, '2', 'erin', notServing), {
      code: 'MG_CONFLICT',
      message: new RegExp(`version '2' is assigned to be served .*modelgate unload ${name} 2`),
    });
    assert.equal((await h.registry.getVersion(name, '2')).version, '2');
    assert.deepEqual((await h.registry.history(name)).map((e) => e.action), ['register', 'register', 'promote']);
    await h.store.db.deleteFrom('served_versions').where('model_name', '=', name).execute();
    assert.deepEqual(await h.registry.delete(name, '2', 'erin', notServing), { blobRemoved: true });
  });

  test('delete keeps a blob another version still uses', async () => {
    const h = get();
    const name = freshModel('shared');
    await registerAll(h, name, ['1']);
    const v1 = await h.registry.getVersion(name, '1');
    // Two rows sharing one package cannot come from register (the manifest names the version),
    // but a later import or migration could make them: the rule must still hold.
    const row = await h.store.db.selectFrom('model_versions').selectAll().where('model_name', '=', name).executeTakeFirstOrThrow();
    await h.store.db.insertInto('model_versions').values({ ...row, version: '1-copy', promoted_seq: null }).execute();
    assert.deepEqual(await h.registry.delete(name, '1', 'erin', notServing), { blobRemoved: false });
    assert.equal(await h.blobs.has(v1.packageSha256), true);
    assert.deepEqual(await h.registry.packageBytes(name, '1-copy'), await h.blobs.get(v1.packageSha256));
    assert.deepEqual(await h.registry.delete(name, '1-copy', 'erin', notServing), { blobRemoved: true });
  });

  test('history records every change: who, what, before/after, when and why, in order', async () => {
    const { registry } = get();
    const name = freshModel('hist');
    await registerAll(get(), name, ['1', '2']);
    await registry.setAlias(name, 'staging', '2', 'bob', 'QA');
    await registry.promote(name, '1', 'carol', 'launch');
    await registry.promote(name, '2', 'carol', 'better recall');
    await registry.rollback(name, 'dave', 'false positives');
    await registry.removeAlias(name, 'staging', 'bob');
    await registry.archive(name, '2', 'erin');
    await registry.delete(name, '2', 'erin', { ...notServing, reason: 'gone' });
    const history = await registry.history(name);
    assert.deepEqual(
      history.map((e) => [e.action, e.version, e.actor, e.reason, e.before, e.after]),
      [
        ['register', '1', 'alice', null, null, history[0].after],
        ['register', '2', 'alice', null, null, history[1].after],
        ['set-alias', '2', 'bob', 'QA', { alias: 'staging', version: null, stage: 'registered' }, { alias: 'staging', version: '2', stage: 'staging' }],
        ['promote', '1', 'carol', 'launch', { production: null, stage: 'registered' }, { production: '1', stage: 'production' }],
        ['promote', '2', 'carol', 'better recall', { production: '1', stage: 'staging' }, { production: '2', stage: 'production' }],
        ['rollback', '1', 'dave', 'false positives', { production: '2' }, { production: '1' }],
        ['remove-alias', '2', 'bob', null, { alias: 'staging', version: '2' }, { alias: 'staging', version: null }],
        ['archive', '2', 'erin', null, { stage: 'staging' }, { stage: 'archived' }],
        ['delete', '2', 'erin', 'gone', { stage: 'archived', packageSha256: history[1].after?.packageSha256 ?? '' }, null],
      ],
    );
    for (let i = 1; i < history.length; i++) {
      assert.ok(history[i].id > history[i - 1].id);
      assert.ok(history[i].at >= history[i - 1].at);
    }
    const model = await registry.getModel(name);
    assert.equal(model.updatedBy, 'erin');
  });
}
