// Packages refused without an upload, at start-up import and at load, are counted and audited like a
// refused upload: the real server, its Prometheus registry and its audit log in the store.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { generateEncryptionKey } from '../../src/registry/package/index.ts';
import type { Server } from '../../src/server.ts';
import { offsetModel } from '../fixtures/onnx.ts';
import { makeSigner, packageOf, trusting } from '../fixtures/packages.ts';
import { tempDir, testServer } from '../fixtures/server.ts';

const manifest = (name: string) => ({ name, version: '1', inputs: [{ name: 'x', datatype: 'FP32', shape: [-1, 1] }] });

async function refusalCounts(server: Server): Promise<Record<string, number>> {
  const metric = server.metrics.registry.getSingleMetric('modelgate_package_refusals_total');
  assert.ok(metric, 'the refusal counter is registered');
  const { values } = await metric.get();
  return Object.fromEntries(values.map((v) => [String(v.labels.code), v.value]));
}

async function rejectedRecords(server: Server) {
  const rows = await server.store.db.selectFrom('audit_records').selectAll().where('kind', '=', 'rejected').orderBy('seq').execute();
  return rows.map((r) => ({ principal: r.principal, model: r.model, version: r.version, detail: JSON.parse(r.detail_json ?? 'null') }));
}

test('refused at import and at load: a metric and a rejected audit record each', async (t) => {
  const signer = makeSigner();
  const root = tempDir();
  const dataDir = join(root, 'data');
  const importDir = join(root, 'import');
  mkdirSync(importDir);
  t.after(() => rmSync(root, { recursive: true, force: true }));
  const keyDir = join(dataDir, 'keys', 'decryption');
  mkdirSync(keyDir, { recursive: true });
  const aes = generateEncryptionKey();
  writeFileSync(join(keyDir, 'k1.key'), aes.toString('hex'));
  writeFileSync(join(importDir, 'a-sealed.mgpkg'), await packageOf(signer, offsetModel(1), manifest('sealed'), { key: aes, keyId: 'k1' }));
  writeFileSync(join(importDir, 'b-junk.mgpkg'), 'not a package');
  writeFileSync(join(importDir, 'c-stranger.mgpkg'), await packageOf(makeSigner(), offsetModel(2), manifest('stranger')));

  const first = await testServer(undefined, trusting(signer, { dataDir, importDir, rateLimitsEnabled: false }));
  try {
    assert.ok(first.server.models.isLoaded('sealed', '1'), 'the good package is imported and served');
    assert.deepEqual(await refusalCounts(first.server), { MG_PACKAGE_INVALID: 1, MG_SIGNATURE_INVALID: 1 });
    const records = await rejectedRecords(first.server);
    assert.deepEqual(records.map((r) => [r.principal, r.detail.action, r.detail.target, r.detail.code]), [
      ['system:import', 'import', 'b-junk.mgpkg', 'MG_PACKAGE_INVALID'],
      ['system:import', 'import', 'c-stranger.mgpkg', 'MG_SIGNATURE_INVALID'],
    ]);
    assert.match(records[1].detail.message, /not trusted/);
  } finally {
    await first.close();
  }

  // The key is gone at the restart: the registered version can no longer be opened.
  rmSync(join(keyDir, 'k1.key'));
  const second = await testServer(undefined, trusting(signer, { dataDir, rateLimitsEnabled: false }));
  try {
    assert.equal(second.server.models.isLoaded('sealed', '1'), false);
    assert.deepEqual(await refusalCounts(second.server), { MG_DECRYPTION_FAILED: 1 });
    const load = (await rejectedRecords(second.server)).at(-1);
    assert.deepEqual([load?.principal, load?.model, load?.version, load?.detail.action, load?.detail.target, load?.detail.code], [null, 'sealed', '1', 'load', 'sealed@1', 'MG_DECRYPTION_FAILED']);
    assert.match(load?.detail.message, /key 'k1', which was not given/);
  } finally {
    await second.close();
  }
});
