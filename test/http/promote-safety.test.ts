// A version that cannot be served must never take production: promote, rollback and the production
// alias load and warm the version before the registry changes, and a replica that finds the new
// production version unloadable (changed through another replica) keeps the version it serves.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { offsetModel } from '../fixtures/onnx.ts';
import { makeSigner, offsetManifest, packageOf, type Signer, trusting } from '../fixtures/packages.ts';
import { testServer, type TestServer } from '../fixtures/server.ts';

const manifest = (version: string) => offsetManifest('scorer', version);
let signer: Signer;
let t: TestServer;

before(async () => {
  signer = makeSigner();
  t = await testServer(undefined, trusting(signer, { rateLimitsEnabled: false, extractionEnabled: false }));
  const upload = async (bytes: Buffer) => {
    const res = await admin('POST', '/admin/packages', bytes, { 'content-type': 'application/octet-stream' });
    assert.equal(res.statusCode, 201, res.body);
  };
  await upload(await packageOf(signer, offsetModel(1), manifest('1')));
  await upload(await packageOf(signer, offsetModel(2), manifest('2')));
  // Signed and well-formed as a package, but its model is not an ONNX graph: it registers, and no
  // engine can load it.
  await upload(await packageOf(signer, new TextEncoder().encode('not an onnx graph'), manifest('3')));
});
after(() => t.close());

const admin = (method: 'GET' | 'POST' | 'PUT', url: string, payload?: unknown, headers: Record<string, string> = {}) =>
  t.server.admin.inject({ method, url, payload: payload as Buffer, headers: { ...t.auth, ...headers } });
const production = async () => (await admin('GET', '/admin/models/scorer')).json().productionVersion as string | undefined;
const answer = async () => {
  const res = await t.server.inference.inject({ method: 'POST', url: '/v2/models/scorer/infer', headers: t.auth, payload: { inputs: [{ name: 'x', datatype: 'FP32', shape: [1, 1], data: [10] }] } });
  return { status: res.statusCode, version: res.headers['x-model-version'], y: res.statusCode === 200 ? res.json().outputs[0].data[0] : undefined };
};

test('promoting a version that cannot load is refused with the reason; production and its answers are unchanged', async () => {
  assert.equal((await admin('POST', '/admin/models/scorer/versions/1/promote', { reason: 'first' })).statusCode, 200);
  const refused = await admin('POST', '/admin/models/scorer/versions/3/promote', { reason: 'broken build' });
  assert.equal(refused.statusCode, 409, refused.body);
  assert.match(refused.json().error, /^version '3' of 'scorer' cannot be loaded: .+; production is unchanged$/);
  assert.equal(await production(), '1');
  assert.deepEqual(await answer(), { status: 200, version: '1', y: 11 });
  // Through the production alias too.
  const alias = await admin('PUT', '/admin/models/scorer/aliases/production', { version: '3' });
  assert.equal(alias.statusCode, 409, alias.body);
  assert.equal(await production(), '1');
  const history = (await admin('GET', '/admin/models/scorer/history')).json().history as { action: string; version: string }[];
  assert.ok(!history.some((h) => h.version === '3' && h.action !== 'register'), 'no lifecycle change of version 3 was recorded');
});

test('a replica whose new production version cannot load keeps serving the old one; a rollback to it is refused', async () => {
  // Another replica (or an older server) made version 3 production: here the registry is changed
  // directly, as it would be there. The reconcile that follows cannot load 3 and keeps 1 serving.
  await t.server.registry.promote('scorer', '3', 'key:other-replica', 'pushed elsewhere');
  const report = await t.server.serving.reconcile();
  assert.deepEqual(report.kept, ['scorer@1']);
  assert.equal(report.failed[0]?.version, '3');
  assert.deepEqual(await answer(), { status: 200, version: '1', y: 11 }, 'the model stays online with the version it served');
  const kept = await t.server.admin.inject({ method: 'DELETE', url: '/admin/models/scorer/versions/1', headers: t.auth });
  assert.equal(kept.statusCode, 409);
  assert.match(kept.json().error, /version '1' is serving traffic: the production version of 'scorer' cannot be loaded here, and this version keeps serving in its place/);
  // Rolling back from 3 makes 1 production again, which loads: accepted, and without a body.
  const back = await t.server.admin.inject({ method: 'POST', url: '/admin/models/scorer/rollback', headers: t.auth });
  assert.equal(back.statusCode, 200, back.body);
  assert.equal(await production(), '1');
  // 3 once more (elsewhere), then 2 here: a rollback now points at 3, and is refused.
  await t.server.registry.promote('scorer', '3', 'key:other-replica', 'again');
  assert.equal((await admin('POST', '/admin/models/scorer/versions/2/promote', {})).statusCode, 200);
  assert.deepEqual(await answer(), { status: 200, version: '2', y: 12 });
  const refused = await admin('POST', '/admin/models/scorer/rollback', { reason: 'try the previous one' });
  assert.equal(refused.statusCode, 409, refused.body);
  assert.match(refused.json().error, /^version '3' of 'scorer' cannot be loaded: .+; production is unchanged$/);
  assert.equal(await production(), '2');
  assert.deepEqual(await answer(), { status: 200, version: '2', y: 12 });
});

test('a promotion does not unload a version another change has prepared and not yet committed', async () => {
  // What a canary start does before its policy commits: version 1 is loaded for endpoint 'scorer'.
  await t.server.serving.prepare('scorer', ['1']);
  assert.equal(t.server.models.isLoaded('scorer', '1'), true);
  const promoted = await admin('POST', '/admin/models/scorer/versions/2/promote', { reason: 'again' });
  assert.equal(promoted.statusCode, 200, promoted.body);
  assert.equal(t.server.models.isLoaded('scorer', '1'), true, "the promotion's settle released only its own hold");
  // The endpoint's own settle (its policy committed, or given up) releases it.
  await t.server.serving.settle('scorer');
  assert.equal(t.server.models.isLoaded('scorer', '1'), false);
});

test('loading a version that cannot load beside production is refused and not kept for later', async () => {
  const refused = await admin('POST', '/admin/models/scorer/versions/3/load', {});
  assert.equal(refused.statusCode, 409, refused.body);
  assert.match(refused.json().error, /^version '3' of 'scorer' cannot be loaded: .+/);
  const served = await t.server.store.db.selectFrom('served_versions').selectAll().where('model_name', '=', 'scorer').execute();
  assert.deepEqual(served, [], 'a restart does not try it again');
  const loaded = await admin('POST', '/admin/models/scorer/versions/1/load', {});
  assert.equal(loaded.statusCode, 200, loaded.body);
  assert.deepEqual(loaded.json().serving.loaded, ['scorer@1']);
});

test('a replica that never served the production version keeps nothing it merely had loaded', async (t2) => {
  // Production is made version 3 (unloadable) elsewhere; a second server on the same store starts
  // with no production version loaded, so it has no version that was serving to keep.
  await t.server.registry.promote('scorer', '3', 'key:other-replica', 'broken release');
  const second = await testServer(undefined, trusting(signer, { dataDir: join(t.dir, 'data'), rateLimitsEnabled: false, extractionEnabled: false }));
  t2.after(() => second.close());
  assert.equal(second.server.models.has('scorer'), true, 'version 1, loaded with load, is served');
  const unload = await second.server.admin.inject({ method: 'POST', url: '/admin/models/scorer/versions/1/unload', headers: second.auth });
  assert.equal(unload.statusCode, 200, unload.body);
  assert.deepEqual([unload.json().serving.unloaded, unload.json().serving.kept], [['scorer@1'], []]);
  assert.equal(second.server.models.has('scorer'), false);
});
