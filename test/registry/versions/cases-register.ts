// Registry contract, part 1: registering packages (records, idempotence, conflicts, refusals) and reads.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { generateEncryptionKey } from '../../../src/registry/package/index.ts';
import { newSigningKey, repack } from '../package/fixtures.ts';
import type { GetHarness } from './contract.ts';
import { freshModel, makePackage, registerAll } from './fixtures.ts';

const sha = (b: Uint8Array) => createHash('sha256').update(b).digest('hex');

async function blobCount(h: ReturnType<GetHarness>): Promise<number> {
  let n = 0;
  for await (const _ of h.blobs.list()) n += 1;
  return n;
}

export function registerCases(get: GetHarness): void {
  test('register verifies, stores the package by digest and records the version', async () => {
    const h = get();
    const name = freshModel('fraud');
    const bytes = await makePackage(name, '1.0.0', { key: h.key });
    const { version: v, created } = await h.registry.register({ bytes, actor: 'alice', trustedKeys: h.trusted, reason: 'first model' });
    assert.equal(created, true);
    assert.equal(v.name, name);
    assert.equal(v.version, '1.0.0');
    assert.equal(v.packageSha256, sha(bytes));
    assert.equal(v.packageSize, bytes.length);
    assert.equal(v.signerKeyId, h.key.keyId);
    assert.equal(v.manifest.name, name);
    assert.deepEqual(v.manifest.labels, ['ok', 'fraud']);
    assert.equal(v.stage, 'registered');
    assert.deepEqual(v.aliases, []);
    assert.equal(v.createdBy, 'alice');
    assert.equal(v.updatedBy, 'alice');
    assert.ok(!Number.isNaN(Date.parse(v.createdAt)));
    assert.ok(v.validation.some((c) => c.name === 'signature' && c.status === 'ok'));
    assert.ok(v.validation.every((c) => c.status !== 'failed'));
    assert.deepEqual(await h.registry.packageBytes(name, '1.0.0'), bytes);
    assert.deepEqual(await h.registry.getVersion(name, '1.0.0'), v);
    const model = await h.registry.getModel(name);
    assert.deepEqual({ versions: model.versions, aliases: model.aliases, production: model.productionVersion, by: model.createdBy }, { versions: ['1.0.0'], aliases: {}, production: null, by: 'alice' });
    assert.ok((await h.registry.listModels()).some((m) => m.name === name));
    const [entry] = await h.registry.history(name);
    assert.deepEqual({ action: entry.action, actor: entry.actor, version: entry.version, reason: entry.reason, before: entry.before }, { action: 'register', actor: 'alice', version: '1.0.0', reason: 'first model', before: null });
    assert.equal(entry.after?.packageSha256, sha(bytes));
  });

  test('registering the same bytes again changes nothing; other bytes under the same version are MG_CONFLICT', async () => {
    const h = get();
    const name = freshModel('fraud');
    const bytes = await makePackage(name, '1', { key: h.key });
    await h.registry.register({ bytes, actor: 'alice', trustedKeys: h.trusted });
    const blobsBefore = await blobCount(h);
    const again = await h.registry.register({ bytes, actor: 'bob', trustedKeys: h.trusted });
    assert.equal(again.created, false);
    assert.equal(again.version.createdBy, 'alice');
    assert.equal((await h.registry.history(name)).length, 1);
    const other = await makePackage(name, '1', { key: h.key, model: Buffer.from('retrained') });
    await assert.rejects(h.registry.register({ bytes: other, actor: 'bob', trustedKeys: h.trusted }), { code: 'MG_CONFLICT', message: /already registered with another package/ });
    assert.equal(await h.blobs.has(sha(other)), false);
    assert.equal(await blobCount(h), blobsBefore);
    assert.equal((await h.registry.getVersion(name, '1')).packageSha256, sha(bytes));
  });

  test('tampered, unsigned and untrusted packages are refused and nothing is stored', async () => {
    const h = get();
    const name = freshModel('fraud');
    const bytes = await makePackage(name, '1', { key: h.key });
    const tampered = Buffer.from(bytes);
    tampered[Math.floor(tampered.length / 2)] ^= 0xff;
    const unsigned = repack(bytes, (entries) => entries.filter((e) => e.name !== 'signature.json'));
    const swappedModel = repack(bytes, (entries) => entries.map((e) => (e.name === 'model.onnx' ? { ...e, bytes: Buffer.from('evil') } : e)));
    const foreign = await makePackage(name, '1', { key: newSigningKey() });
    const blobsBefore = await blobCount(h);
    const input = (b: Buffer) => ({ bytes: b, actor: 'mallory', trustedKeys: h.trusted });
    await assert.rejects(h.registry.register(input(tampered)), { code: 'MG_PACKAGE_INVALID' });
    await assert.rejects(h.registry.register(input(unsigned)), { code: 'MG_PACKAGE_INVALID', message: /missing signature.json/ });
    await assert.rejects(h.registry.register(input(swappedModel)), { code: 'MG_PACKAGE_INVALID', message: /model.onnx/ });
    await assert.rejects(h.registry.register(input(foreign)), { code: 'MG_SIGNATURE_INVALID', message: /not trusted/ });
    await assert.rejects(h.registry.getModel(name), { code: 'MG_MODEL_NOT_FOUND' });
    assert.equal(await blobCount(h), blobsBefore);
  });

  test('an encrypted package needs its key; the stored blob is the package as given, still encrypted', async () => {
    const h = get();
    const name = freshModel('secret');
    const key = generateEncryptionKey();
    const bytes = await makePackage(name, '1', { key: h.key, model: Buffer.from('plaintext weights'), encryption: { key, keyId: 'k1' } });
    await assert.rejects(h.registry.register({ bytes, actor: 'alice', trustedKeys: h.trusted }), { code: 'MG_DECRYPTION_FAILED' });
    const { version } = await h.registry.register({ bytes, actor: 'alice', trustedKeys: h.trusted, decryptionKeys: new Map([['k1', key]]) });
    assert.ok(version.validation.some((c) => c.name === 'decryption' && c.status === 'ok'));
    const stored = await h.registry.packageBytes(name, '1');
    assert.deepEqual(stored, bytes);
    assert.equal(stored.includes(Buffer.from('plaintext weights')), false);
  });

  test('reads throw MG_MODEL_NOT_FOUND / MG_VERSION_NOT_FOUND; versions list in numeric order', async () => {
    const h = get();
    const name = freshModel('order');
    await registerAll(h, name, ['2', '10', '1.5']);
    assert.deepEqual((await h.registry.listVersions(name)).map((v) => v.version), ['1.5', '2', '10']);
    assert.deepEqual((await h.registry.getModel(name)).versions, ['1.5', '2', '10']);
    await assert.rejects(h.registry.getModel('no-such-model'), { code: 'MG_MODEL_NOT_FOUND' });
    await assert.rejects(h.registry.listVersions('no-such-model'), { code: 'MG_MODEL_NOT_FOUND' });
    await assert.rejects(h.registry.getVersion('no-such-model', '1'), { code: 'MG_MODEL_NOT_FOUND' });
    await assert.rejects(h.registry.getVersion(name, '3'), { code: 'MG_VERSION_NOT_FOUND' });
    await assert.rejects(h.registry.resolve(name, 'nope'), { code: 'MG_VERSION_NOT_FOUND' });
    await assert.rejects(h.registry.packageBytes(name, '3'), { code: 'MG_VERSION_NOT_FOUND' });
    await assert.rejects(h.registry.history('no-such-model'), { code: 'MG_MODEL_NOT_FOUND' });
  });

  test('an actor is required for every change', async () => {
    const h = get();
    const name = freshModel('actor');
    const bytes = await makePackage(name, '1', { key: h.key });
    await assert.rejects(h.registry.register({ bytes, actor: '', trustedKeys: h.trusted }), { code: 'MG_INVALID_REQUEST' });
    await registerAll(h, name, ['1']);
    await assert.rejects(h.registry.promote(name, '1', ''), { code: 'MG_INVALID_REQUEST' });
  });
}
