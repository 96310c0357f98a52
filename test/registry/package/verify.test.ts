// The report form (verifyPackage) and the file-level helpers the CLI calls.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  buildPackage, buildPackageFile, generateEncryptionKey, loadTrustStore, openPackage, readPackageFile, verifyPackage,
  writeSigningKeyPair, type PackageCheck,
} from '../../../src/registry/package/index.ts';
import { fakeModel, newSigningKey, repack, sampleManifest, trustOnly } from './fixtures.ts';

const summary = (checks: PackageCheck[]) => checks.map((c) => `${c.name}: ${c.status}`);

test('a good package reports every check ok', async () => {
  const key = newSigningKey();
  const built = await buildPackage({ model: fakeModel(), manifest: sampleManifest(), signingKey: key, extraFiles: { 'README.md': Buffer.from('r') } });
  const report = await verifyPackage(built.bytes, { trustedKeys: trustOnly(key) });
  assert.equal(report.ok, true);
  assert.equal(report.signerKeyId, key.keyId);
  assert.equal(report.packageSha256, built.packageSha256);
  assert.equal(report.encrypted, false);
  assert.deepEqual(summary(report.checks), [
    'archive: ok', 'required files: ok', 'signature: ok', 'manifest: ok', 'file README.md: ok', 'file model.onnx: ok', 'decryption: skipped',
  ]);
  const model = report.checks.find((c) => c.name === 'file model.onnx');
  assert.match(model?.detail ?? '', new RegExp(`sha256 ${built.manifest.files?.['model.onnx'].sha256}, 3000 bytes`));
});

test('the report lists every failure with its reason and code, not only the first', async () => {
  const key = newSigningKey();
  const stranger = newSigningKey();
  const built = await buildPackage({ model: fakeModel(), manifest: sampleManifest(), signingKey: stranger });
  const tampered = repack(built.bytes, (entries) => [
    ...entries.map((e) => (e.name === 'model.onnx' ? { ...e, bytes: Buffer.concat([e.bytes.subarray(0, 100), Buffer.from('x'), e.bytes.subarray(101)]) } : e)),
    { name: 'extra.bin', bytes: Buffer.from('?') },
  ]);
  const report = await verifyPackage(tampered, { trustedKeys: trustOnly(key) });
  assert.equal(report.ok, false);
  assert.deepEqual(summary(report.checks), [
    'archive: ok', 'required files: ok', 'signature: failed', 'manifest: ok', 'file model.onnx: failed', 'file extra.bin: failed', 'decryption: skipped',
  ]);
  const byName = new Map(report.checks.map((c) => [c.name, c]));
  assert.equal(byName.get('signature')?.code, 'MG_SIGNATURE_INVALID');
  assert.match(byName.get('signature')?.detail ?? '', new RegExp(stranger.keyId));
  assert.equal(byName.get('file model.onnx')?.code, 'MG_PACKAGE_INVALID');
  assert.match(byName.get('file model.onnx')?.detail ?? '', /model\.onnx has sha256/);
  assert.match(byName.get('file extra.bin')?.detail ?? '', /not listed in the manifest/);
  assert.equal(report.signerKeyId, undefined);
});

test('an unreadable archive fails its first check and skips the rest', async () => {
  const report = await verifyPackage(Buffer.from('not a package'), { trustedKeys: trustOnly(newSigningKey()) });
  assert.equal(report.ok, false);
  assert.deepEqual(summary(report.checks), [
    'archive: failed', 'required files: skipped', 'signature: skipped', 'manifest: skipped', 'files: skipped', 'decryption: skipped',
  ]);
});

test('an encrypted package verifies without its key (decryption skipped) and fully with it', async () => {
  const key = newSigningKey();
  const aes = generateEncryptionKey();
  const built = await buildPackage({ model: fakeModel(), manifest: sampleManifest(), signingKey: key, encryption: { key: aes, keyId: 'k1' } });
  const withoutKey = await verifyPackage(built.bytes, { trustedKeys: trustOnly(key) });
  assert.equal(withoutKey.ok, true);
  assert.equal(withoutKey.encrypted, true);
  assert.deepEqual(withoutKey.checks.at(-1), { name: 'decryption', status: 'skipped', detail: "the package is encrypted with key 'k1', which was not given" });
  const withKey = await verifyPackage(built.bytes, { trustedKeys: trustOnly(key), decryptionKeys: new Map([['k1', aes]]) });
  assert.equal(withKey.checks.at(-1)?.status, 'ok');
  const wrongKey = await verifyPackage(built.bytes, { trustedKeys: trustOnly(key), decryptionKeys: new Map([['k1', generateEncryptionKey()]]) });
  assert.equal(wrongKey.ok, false);
  assert.equal(wrongKey.checks.at(-1)?.code, 'MG_DECRYPTION_FAILED');
});

test('file level: keygen, package from files with an encryption key file, read back and open', async (t) => {
  const dir = await mkdtemp(join(tmpdir(), 'mg-pkgfile-'));
  t.after(() => rm(dir, { recursive: true, force: true }));
  const keys = await writeSigningKeyPair({ outDir: join(dir, 'keys') });
  const model = fakeModel();
  const aes = generateEncryptionKey();
  await writeFile(join(dir, 'm.onnx'), model);
  await writeFile(join(dir, 'manifest.json'), JSON.stringify(sampleManifest(), null, 2));
  await writeFile(join(dir, 'README.md'), 'readme');
  await writeFile(join(dir, 'k.bin'), aes);
  const options = {
    modelPath: join(dir, 'm.onnx'),
    manifestPath: join(dir, 'manifest.json'),
    keyPath: keys.privateKeyPath,
    outPath: join(dir, 'm.mgpkg'),
    extraFilePaths: [join(dir, 'README.md')],
    encryptKeyFile: join(dir, 'k.bin'),
    encryptKeyId: 'k1',
  };
  const built = await buildPackageFile(options);
  assert.equal(built.signerKeyId, keys.keyId);
  assert.equal((await stat(options.outPath)).mode & 0o777, 0o644);
  await assert.rejects(buildPackageFile(options), { code: 'MG_CONFLICT' });
  await buildPackageFile({ ...options, force: true });
  await assert.rejects(buildPackageFile({ ...options, outPath: join(dir, 'x.mgpkg'), encryptKeyId: undefined }), { code: 'MG_INVALID_REQUEST' });
  await assert.rejects(buildPackageFile({ ...options, outPath: join(dir, 'x.mgpkg'), encryptKeyEnv: 'MG_K' }), { code: 'MG_INVALID_REQUEST' });
  const viaEnv = await buildPackageFile({
    ...options, outPath: join(dir, 'env.mgpkg'), encryptKeyFile: undefined, encryptKeyEnv: 'MG_K', environment: { MG_K: aes.toString('hex') },
  });
  assert.equal(viaEnv.manifest.encryption?.keyId, 'k1');

  const bytes = await readPackageFile(options.outPath);
  const opened = await openPackage(bytes, { trustedKeys: await loadTrustStore([keys.publicKeyPath]), decryptionKeys: new Map([['k1', aes]]) });
  assert.deepEqual(opened.modelBytes, model);
  assert.equal(opened.otherFiles.get('README.md')?.toString(), 'readme');
  await assert.rejects(readPackageFile(options.outPath, 100), { code: 'MG_PACKAGE_INVALID', message: /over the limit of 100/ });
  await assert.rejects(readPackageFile(join(dir, 'absent.mgpkg')), { code: 'MG_NOT_FOUND' });
  await assert.rejects(readPackageFile(dir), { code: 'MG_PACKAGE_INVALID', message: /not a regular file/ });
  await writeFile(join(dir, 'bad.json'), '{');
  await assert.rejects(buildPackageFile({ ...options, manifestPath: join(dir, 'bad.json'), outPath: join(dir, 'y.mgpkg') }), { code: 'MG_PACKAGE_INVALID' });
  assert.ok((await readFile(options.outPath)).length > 0);
});
