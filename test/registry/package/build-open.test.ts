// Build -> open round trips (plain, encrypted, real ONNX), the bytes of the format, reproducibility.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createHash, verify } from 'node:crypto';
import ort from 'onnxruntime-node';
import {
  buildPackage, canonicalJson, generateEncryptionKey, openPackage, SIGNATURE_DOMAIN,
} from '../../../src/registry/package/index.ts';
import { entriesOf, fakeModel, newSigningKey, onnxAddModel, sampleManifest, trustOnly } from './fixtures.ts';

const sha256 = (b: Uint8Array) => createHash('sha256').update(b).digest('hex');

test('a plain package opens to the same model, manifest and signer', async () => {
  const key = newSigningKey();
  const model = fakeModel();
  const readme = Buffer.from('# spam filter\n');
  const built = await buildPackage({ model, manifest: sampleManifest(), signingKey: key, extraFiles: { 'README.md': readme } });
  const opened = await openPackage(built.bytes, { trustedKeys: trustOnly(key) });
  assert.deepEqual(opened.modelBytes, model);
  assert.deepEqual(opened.otherFiles.get('README.md'), readme);
  assert.equal(opened.signerKeyId, key.keyId);
  assert.equal(opened.packageSha256, sha256(built.bytes));
  assert.equal(built.packageSha256, opened.packageSha256);
  assert.equal(opened.manifest.name, 'spam-filter');
  assert.deepEqual(opened.manifest.files, {
    'model.onnx': { sha256: sha256(model), size: model.length },
    'README.md': { sha256: sha256(readme), size: readme.length },
  });
  assert.equal(opened.manifest.encryption, undefined);
});

test('the archive holds canonical manifest.json, signature.json over the domain-separated manifest, and fixed headers', async () => {
  const key = newSigningKey();
  const built = await buildPackage({ model: fakeModel(), manifest: sampleManifest(), signingKey: key });
  const entries = entriesOf(built.bytes);
  assert.deepEqual(entries.map((e) => e.name), ['manifest.json', 'signature.json', 'model.onnx']);
  const manifestBytes = entries[0].bytes;
  const text = manifestBytes.toString();
  assert.equal(text, canonicalJson(JSON.parse(text)));
  assert.doesNotMatch(text, /\s"|":\s|,\s/);
  assert.ok(text.startsWith('{"description":"test model","files":{'), text.slice(0, 60));
  const sig = JSON.parse(entries[1].bytes.toString()) as { algorithm: string; keyId: string; signature: string };
  assert.equal(sig.algorithm, 'ed25519');
  assert.equal(sig.keyId, key.keyId);
  const message = Buffer.concat([Buffer.from('modelgate-package-v1\0'), manifestBytes]);
  assert.equal(SIGNATURE_DOMAIN, 'modelgate-package-v1\0');
  assert.ok(verify(null, message, key.publicKey, Buffer.from(sig.signature, 'base64')));
  // Without the domain prefix the same signature must not verify.
  assert.equal(verify(null, manifestBytes, key.publicKey, Buffer.from(sig.signature, 'base64')), false);
  for (const e of entries) {
    assert.deepEqual({ ...e.header, linkpath: undefined }, { type: 'File', linkpath: undefined, mode: 0o644, uid: 0, gid: 0, mtime: new Date(0), uname: '' });
  }
});

test('canonicalJson sorts keys at every depth and writes no whitespace', () => {
  assert.equal(canonicalJson({ b: 1, a: [{ d: 'x', c: null }, true], e: { z: 1.5, y: undefined } }), '{"a":[{"c":null,"d":"x"},true],"b":1,"e":{"z":1.5}}');
  assert.throws(() => canonicalJson({ a: Number.NaN }), { code: 'MG_PACKAGE_INVALID' });
});

test('the same inputs build the same bytes, whatever the key order of the manifest given', async () => {
  const key = newSigningKey();
  const model = fakeModel();
  const a = await buildPackage({ model, manifest: sampleManifest(), signingKey: key, extraFiles: { 'b.txt': Buffer.from('b'), 'a.txt': Buffer.from('a') } });
  const reordered = Object.fromEntries(Object.entries(sampleManifest()).reverse());
  const b = await buildPackage({ model, manifest: reordered, signingKey: key, extraFiles: { 'a.txt': Buffer.from('a'), 'b.txt': Buffer.from('b') } });
  assert.ok(a.bytes.equals(b.bytes));
  assert.equal(a.packageSha256, b.packageSha256);
  const other = await buildPackage({ model: Buffer.concat([model, Buffer.from([1])]), manifest: sampleManifest(), signingKey: key });
  assert.notEqual(other.packageSha256, a.packageSha256);
});

test('given files and encryption fields in the manifest are replaced by the computed ones', async () => {
  const key = newSigningKey();
  const manifest = { ...sampleManifest(), files: { 'model.onnx': { sha256: '0'.repeat(64), size: 1 } } };
  const built = await buildPackage({ model: fakeModel(10), manifest, signingKey: key });
  assert.equal(built.manifest.files?.['model.onnx'].size, 10);
  await openPackage(built.bytes, { trustedKeys: trustOnly(key) });
});

test('an encrypted package stores ciphertext and opens to the plaintext with its key', async () => {
  const key = newSigningKey();
  const model = fakeModel();
  const aes = generateEncryptionKey();
  const built = await buildPackage({ model, manifest: sampleManifest(), signingKey: key, encryption: { key: aes, keyId: 'k1' } });
  const stored = entriesOf(built.bytes).find((e) => e.name === 'model.onnx')?.bytes as Buffer;
  assert.equal(stored.length, model.length);
  assert.equal(stored.equals(model), false);
  const enc = built.manifest.encryption;
  assert.equal(enc?.algorithm, 'aes-256-gcm');
  assert.equal(enc?.keyId, 'k1');
  const info = enc?.files['model.onnx'];
  assert.equal(info?.plaintextSha256, sha256(model));
  assert.equal(Buffer.from(info?.iv ?? '', 'base64').length, 12);
  assert.equal(Buffer.from(info?.tag ?? '', 'base64').length, 16);
  assert.equal(built.manifest.files?.['model.onnx'].sha256, sha256(stored));

  const opened = await openPackage(built.bytes, { trustedKeys: trustOnly(key), decryptionKeys: new Map([['k1', aes]]) });
  assert.deepEqual(opened.modelBytes, model);
  // A key given as hex text works as well.
  const hexBuilt = await buildPackage({ model, manifest: sampleManifest(), signingKey: key, encryption: { key: aes.toString('hex'), keyId: 'k1' } });
  assert.deepEqual((await openPackage(hexBuilt.bytes, { trustedKeys: trustOnly(key), decryptionKeys: new Map([['k1', aes]]) })).modelBytes, model);
  // Random IVs: two encrypted builds of one input differ.
  assert.notEqual(hexBuilt.packageSha256, built.packageSha256);
});

test('a real ONNX graph survives encrypted packaging and runs in onnxruntime-node', async () => {
  const key = newSigningKey();
  const model = await onnxAddModel();
  const aes = generateEncryptionKey();
  const manifest = { name: 'adder', version: '2', inputs: [{ name: 'x', datatype: 'FP32', shape: [-1, 3] }, { name: 'y', datatype: 'FP32', shape: [-1, 3] }] };
  const built = await buildPackage({ model, manifest, signingKey: key, encryption: { key: aes, keyId: 'prod' } });
  const opened = await openPackage(built.bytes, { trustedKeys: trustOnly(key), decryptionKeys: new Map([['prod', aes]]) });
  const session = await ort.InferenceSession.create(opened.modelBytes);
  const out = await session.run({
    x: new ort.Tensor('float32', Float32Array.from([1, 2, 3]), [1, 3]),
    y: new ort.Tensor('float32', Float32Array.from([10, 20, 30]), [1, 3]),
  });
  assert.deepEqual(Array.from(out.z.data as Float32Array), [11, 22, 33]);
});

test('building refuses an invalid manifest and reserved or unsafe extra file names', async () => {
  const key = newSigningKey();
  await assert.rejects(buildPackage({ model: fakeModel(), manifest: { ...sampleManifest(), name: 'Bad Name' }, signingKey: key }), {
    code: 'MG_PACKAGE_INVALID',
    message: /manifest is invalid: name:/,
  });
  for (const name of ['manifest.json', 'model.onnx', '../x', '/abs', 'a\\b', '__proto__']) {
    await assert.rejects(buildPackage({ model: fakeModel(), manifest: sampleManifest(), signingKey: key, extraFiles: { [name]: Buffer.from('x') } }), {
      code: 'MG_PACKAGE_INVALID',
    });
  }
  await assert.rejects(buildPackage({ model: fakeModel(), manifest: sampleManifest(), signingKey: key, encryption: { key: Buffer.alloc(16), keyId: 'k' } }), {
    code: 'MG_CONFIG_INVALID',
  });
});
