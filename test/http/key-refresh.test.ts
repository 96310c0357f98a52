// Package keys are read again without a restart: a signing key copied into the trusted folder counts
// for the next upload, and a decryption key added to its folder lets a version that could not load
// for want of it load at the next poll. An emptied folder or a broken key file leaves the keys in force.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { copyFileSync, mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { offsetModel } from '../fixtures/onnx.ts';
import { makeSigner, offsetManifest, packageOf } from '../fixtures/packages.ts';
import { tempDir, testServer } from '../fixtures/server.ts';
import { waitFor } from '../fixtures/wait.ts';

const manifest = offsetManifest;

test('a signing key copied into the trusted folder is trusted by the next upload; a broken key file changes nothing', async (t) => {
  const signer = makeSigner();
  const trusted = tempDir('mg-trusted-');
  const s = await testServer(undefined, { trustedKeys: trusted, modelRepository: undefined, allowUnsigned: false });
  t.after(async () => {
    await s.close();
    rmSync(trusted, { recursive: true, force: true });
  });
  const upload = (bytes: Buffer) => s.server.admin.inject({ method: 'POST', url: '/admin/packages', payload: bytes, headers: { ...s.auth, 'content-type': 'application/octet-stream' } });
  const bytes = await packageOf(signer, offsetModel(1), manifest('scorer', '1'));
  const before = await upload(bytes);
  assert.equal(before.statusCode, 400);
  assert.match(before.json().error, /is signed by key '[0-9a-f]{16}', which is not trusted/);
  copyFileSync(join(signer.trustDir, 'signer.pub'), join(trusted, 'signer.pub'));
  const after = await upload(bytes);
  assert.equal(after.statusCode, 201, after.body);
  // A folder emptied (a secret being rewritten): the keys in force stay.
  rmSync(join(trusted, 'signer.pub'));
  assert.equal((await upload(await packageOf(signer, offsetModel(2), manifest('scorer', '2')))).statusCode, 201);
  // A key file that is not a key beside nothing else: the reading fails as a whole, so the key in
  // force stays (skipping the bad file would have revoked it).
  writeFileSync(join(trusted, 'broken.pem'), 'not a key');
  const other = await upload(await packageOf(signer, offsetModel(3), manifest('scorer', '3')));
  assert.equal(other.statusCode, 201, other.body);
});

test('a version that could not load for want of its decryption key loads once the key is added', async (t) => {
  const signer = makeSigner();
  const keyDir = tempDir('mg-dec-');
  mkdirSync(keyDir, { recursive: true });
  const key = new Uint8Array(32).fill(3);
  const keyFile = join(keyDir, 'k9.key');
  writeFileSync(keyFile, Buffer.from(key).toString('hex'));
  const root = tempDir();
  const dataDir = join(root, 'data');
  const settings = { trustedKeys: signer.trustDir, modelRepository: undefined, allowUnsigned: false, decryptionKeyDir: keyDir, dataDir, registryPollMs: 100 };
  t.after(() => {
    for (const d of [keyDir, root, signer.trustDir]) rmSync(d, { recursive: true, force: true });
  });
  const first = await testServer(undefined, settings);
  try {
    const enc = await packageOf(signer, offsetModel(4), manifest('secret', '1'), { key, keyId: 'k9' });
    assert.equal((await first.server.admin.inject({ method: 'POST', url: '/admin/packages', payload: enc, headers: { ...first.auth, 'content-type': 'application/octet-stream' } })).statusCode, 201);
    assert.equal((await first.server.admin.inject({ method: 'POST', url: '/admin/models/secret/versions/1/promote', headers: first.auth })).statusCode, 200);
  } finally {
    await first.server.close();
  }
  // The key is gone when the server starts again: the production version cannot load.
  rmSync(keyFile);
  const s = await testServer(undefined, settings);
  t.after(() => s.close());
  assert.equal(s.server.models.isLoaded('secret', '1'), false);
  writeFileSync(keyFile, Buffer.from(key).toString('hex'));
  await waitFor(async () => s.server.models.isLoaded('secret', '1'), 'the version to load after its key was added');
  const res = await s.server.inference.inject({ method: 'POST', url: '/v2/models/secret/infer', headers: s.auth, payload: { inputs: [{ name: 'x', datatype: 'FP32', shape: [1, 1], data: [1] }] } });
  assert.equal(res.json().outputs[0].data[0], 5);
});
