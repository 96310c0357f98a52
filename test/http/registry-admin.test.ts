// The registry through the admin plane: upload, promote, roll back, load/unload, refusals, restart.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { offsetModel } from '../fixtures/onnx.ts';
import { makeSigner, offsetManifest, packageOf, type Signer, trusting } from '../fixtures/packages.ts';
import { tempDir, testServer, type TestServer } from '../fixtures/server.ts';

const manifest = (version: string) => offsetManifest('scorer', version);
let signer: Signer;
let t: TestServer;
let v1: Buffer;
let v2: Buffer;
const dataDir = join(tempDir(), 'data');

// One principal sweeping inputs without pause is what a rate limit and the extraction detector are
// there to stop; they have their own tests, and here they would only hide what a swap does.
before(async () => {
  signer = makeSigner();
  v1 = await packageOf(signer, offsetModel(1), manifest('1'));
  v2 = await packageOf(signer, offsetModel(2), manifest('2'));
  t = await testServer(undefined, trusting(signer, { dataDir, rateLimitsEnabled: false, extractionEnabled: false }));
});
after(() => t.close());

const admin = (method: 'GET' | 'POST' | 'PUT' | 'DELETE', url: string, payload?: unknown, headers: Record<string, string> = {}) =>
  t.server.admin.inject({ method, url, payload: payload as Buffer, headers: { ...t.auth, ...headers } });
const upload = (bytes: Buffer) => admin('POST', '/admin/packages', bytes, { 'content-type': 'application/octet-stream' });
const infer = async (x: number, version?: string) => {
  const url = version ? `/v2/models/scorer/versions/${version}/infer` : '/v2/models/scorer/infer';
  const res = await t.server.inference.inject({ method: 'POST', url, headers: t.auth, payload: { inputs: [{ name: 'x', datatype: 'FP32', shape: [1, 1], data: [x] }] } });
  return { status: res.statusCode, version: String(res.headers['x-model-version']), y: res.statusCode === 200 ? res.json().outputs[0].data[0] : undefined, body: res.json() };
};

test('uploads are verified: a signed package registers once, a tampered or unknown one is refused', async () => {
  const first = await upload(v1);
  assert.equal(first.statusCode, 201, first.body);
  assert.equal(first.json().version.signerKeyId.length, 16);
  assert.equal((await upload(v1)).statusCode, 200, 'the same bytes again change nothing');
  const tampered = Buffer.from(v2);
  tampered[tampered.length - 40] ^= 0xff;
  const bad = await upload(tampered);
  assert.equal(bad.statusCode, 400);
  assert.match(bad.json().error, /.+/);
  const stranger = await packageOf(makeSigner(), offsetModel(3), manifest('3'));
  const refused = await upload(stranger);
  assert.equal(refused.statusCode, 400);
  assert.match(refused.json().error, /not trusted|untrusted|unknown key/i);
  assert.equal((await t.server.admin.inject({ method: 'POST', url: '/admin/packages', payload: v2, headers: { 'content-type': 'application/octet-stream' } })).statusCode, 401);
  assert.equal((await upload(v2)).statusCode, 201);
});

test('a registered version is not served until promoted; promote swaps, rollback swaps back', async () => {
  assert.equal((await infer(10)).status, 404);
  const p1 = await admin('POST', '/admin/models/scorer/versions/1/promote', { reason: 'first release' });
  assert.equal(p1.statusCode, 200, p1.body);
  assert.deepEqual(p1.json().serving.loaded, ['scorer@1']);
  assert.deepEqual(await infer(10).then((r) => [r.version, r.y]), ['1', 11]);
  const p2 = await admin('POST', '/admin/models/scorer/versions/2/promote', {});
  assert.deepEqual([p2.json().serving.loaded, p2.json().serving.unloaded], [['scorer@2'], ['scorer@1']]);
  assert.deepEqual(await infer(10).then((r) => [r.version, r.y]), ['2', 12]);
  assert.equal((await infer(10, '1')).status, 404, 'the old version is unloaded');
  const rb = await admin('POST', '/admin/models/scorer/rollback', { reason: 'bad answers' });
  assert.equal(rb.json().version.version, '1');
  assert.deepEqual(await infer(10).then((r) => [r.version, r.y]), ['1', 11]);
  const history = (await admin('GET', '/admin/models/scorer/history')).json().history;
  const rollback = history.find((h: { action: string }) => h.action === 'rollback');
  assert.equal(rollback.actor, 'bootstrap-admin');
  assert.equal(rollback.reason, 'bad answers');
});

test('refusals: delete or unload what serves, archive production, bad names', async () => {
  const del = await admin('DELETE', '/admin/models/scorer/versions/1');
  assert.equal(del.statusCode, 409, del.body);
  assert.equal((await admin('POST', '/admin/models/scorer/versions/1/archive', {})).statusCode, 409);
  const unload = await admin('POST', '/admin/models/scorer/versions/1/unload', {});
  assert.equal(unload.statusCode, 409);
  assert.match(unload.json().error, /production version/);
  assert.equal((await admin('POST', '/admin/models/scorer/versions/9/promote', {})).statusCode, 404);
  assert.equal((await admin('GET', '/admin/models/..%2Fx')).statusCode, 400);
});

test('load serves another version by name beside production; unload stops it', async () => {
  const load = await admin('POST', '/admin/models/scorer/versions/2/load', {});
  assert.deepEqual(load.json().serving.loaded, ['scorer@2']);
  assert.deepEqual(await infer(5, '2').then((r) => r.y), 7);
  assert.deepEqual(await infer(5).then((r) => r.version), '1', 'production still answers requests without a version');
  await admin('POST', '/admin/models/scorer/versions/2/unload', {});
  assert.equal((await infer(5, '2')).status, 404);
});

test('continuous traffic through a promote and a rollback: no failed request, each answer from one version', async () => {
  let stop = false;
  const seen: { status: number; version: string; y?: number; x: number }[] = [];
  const client = async (id: number) => {
    for (let i = 0; !stop; i++) {
      const x = id * 1000 + i;
      const r = await infer(x);
      seen.push({ ...r, x });
    }
  };
  const clients = Array.from({ length: 6 }, (_, i) => client(i));
  // Wait for answers, not for a time: on a slow machine a fixed pause may see no request at all.
  const answers = async (n: number, version?: string) => {
    const count = () => seen.filter((r) => version === undefined || r.version === version).length;
    const target = count() + n;
    for (let i = 0; i < 2000 && count() < target; i++) await new Promise((r) => setTimeout(r, 5));
  };
  await answers(20);
  assert.equal((await admin('POST', '/admin/models/scorer/versions/2/promote', {})).statusCode, 200);
  await answers(20, '2');
  assert.equal((await admin('POST', '/admin/models/scorer/rollback', {})).statusCode, 200);
  await answers(20, '1');
  stop = true;
  await Promise.all(clients);
  const failed = seen.filter((r) => r.status !== 200);
  assert.deepEqual(failed, [], 'zero failed requests');
  for (const r of seen) assert.equal(r.y, r.x + Number(r.version), `answer ${r.y} to ${r.x} came from version ${r.version}`);
  const versions = new Set(seen.map((r) => r.version));
  assert.deepEqual([...versions].sort(), ['1', '2'], 'both versions answered during the run');
});

test('a restart restores what was serving', async () => {
  await admin('POST', '/admin/models/scorer/versions/2/load', {});
  await t.server.close();
  t = await testServer(undefined, trusting(signer, { dataDir, rateLimitsEnabled: false, extractionEnabled: false }));
  assert.deepEqual(t.server.models.versions('scorer'), ['1', '2']);
  assert.deepEqual(await infer(1).then((r) => [r.version, r.y]), ['1', 2]);
});

test('an encrypted package needs its key to register, and is decrypted in memory only', async () => {
  const key = new Uint8Array(32).fill(7);
  const enc = await packageOf(signer, offsetModel(5), manifest('5'), { key, keyId: 'k1' });
  const refused = await upload(enc);
  assert.equal(refused.statusCode, 400);
  assert.match(refused.json().error, /k1/);
});

test('with its key configured, an encrypted package registers, loads and answers', async () => {
  const { writeFileSync, mkdirSync, readdirSync, readFileSync } = await import('node:fs');
  const { gunzipSync } = await import('node:zlib');
  const keyDir = tempDir('mg-keys-');
  mkdirSync(keyDir, { recursive: true });
  const key = new Uint8Array(32).fill(9);
  writeFileSync(join(keyDir, 'k2.key'), Buffer.from(key).toString('hex'));
  const enc = await packageOf(signer, offsetModel(7), { ...manifest('7'), name: 'secret' }, { key, keyId: 'k2' });
  const s = await testServer(undefined, trusting(signer, { decryptionKeyDir: keyDir }));
  try {
    const up = await s.server.admin.inject({ method: 'POST', url: '/admin/packages', payload: enc, headers: { ...s.auth, 'content-type': 'application/octet-stream' } });
    assert.equal(up.statusCode, 201, up.body);
    await s.server.admin.inject({ method: 'POST', url: '/admin/models/secret/versions/7/promote', payload: {}, headers: s.auth });
    const res = await s.server.inference.inject({ method: 'POST', url: '/v2/models/secret/infer', headers: s.auth, payload: { inputs: [{ name: 'x', datatype: 'FP32', shape: [1, 1], data: [1] }] } });
    assert.equal(res.json().outputs[0].data[0], 8);
    // The only model bytes at rest are the ciphertext inside the stored package.
    const blobs = join(s.dir, 'data', 'blobs');
    const plaintext = Buffer.from(offsetModel(7));
    for (const sub of readdirSync(blobs)) {
      for (const f of readdirSync(join(blobs, sub))) {
        const tar = gunzipSync(readFileSync(join(blobs, sub, f)));
        assert.ok(tar.length > plaintext.length && !tar.includes(plaintext.subarray(0, 64)), 'no plaintext model at rest');
      }
    }
  } finally {
    await s.close();
  }
});
