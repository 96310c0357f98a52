// Signing keys on disk (modes, no silent overwrite), key ids, trust stores and encryption keys.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createHash, createPublicKey, generateKeyPairSync } from 'node:crypto';
import { mkdtemp, readFile, rm, stat, writeFile, mkdir } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  keyIdOf, loadSigningKey, loadTrustStore, parseEncryptionKey, readEncryptionKey, signingKeyFromPem, trustStoreFromPems,
  writeSigningKeyPair,
} from '../../../src/registry/package/index.ts';

async function tempDir(t: { after: (fn: () => Promise<void>) => void }): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), 'mg-keys-'));
  t.after(() => rm(dir, { recursive: true, force: true }));
  return dir;
}

test('keygen writes a 0600 private key and a 0644 public key named by the key id', async (t) => {
  const dir = join(await tempDir(t), 'keys');
  const written = await writeSigningKeyPair({ outDir: dir });
  assert.equal(written.privateKeyPath, join(dir, 'signing.key'));
  assert.equal(written.publicKeyPath, join(dir, 'signing.pub'));
  assert.equal((await stat(written.privateKeyPath)).mode & 0o777, 0o600);
  assert.equal((await stat(written.publicKeyPath)).mode & 0o777, 0o644);
  assert.match(written.keyId, /^[0-9a-f]{16}$/);

  const publicPem = await readFile(written.publicKeyPath, 'utf8');
  assert.match(publicPem, /^-----BEGIN PUBLIC KEY-----/);
  const der = createPublicKey(publicPem).export({ type: 'spki', format: 'der' });
  assert.equal(written.keyId, createHash('sha256').update(der).digest('hex').slice(0, 16));
  const loaded = await loadSigningKey(written.privateKeyPath);
  assert.equal(loaded.keyId, written.keyId);
  assert.equal(keyIdOf(loaded.privateKey), written.keyId);
});

test('keygen refuses to overwrite either file unless forced', async (t) => {
  const dir = await tempDir(t);
  const first = await writeSigningKeyPair({ outDir: dir });
  const before = await readFile(first.privateKeyPath, 'utf8');
  await assert.rejects(writeSigningKeyPair({ outDir: dir }), { code: 'MG_CONFLICT', message: /signing\.key already exists/ });
  assert.equal(await readFile(first.privateKeyPath, 'utf8'), before);
  // Only the public file present: still refused, and no private key is written beside it.
  await rm(first.privateKeyPath);
  await assert.rejects(writeSigningKeyPair({ outDir: dir }), { code: 'MG_CONFLICT', message: /signing\.pub already exists/ });
  await assert.rejects(stat(first.privateKeyPath), { code: 'ENOENT' });

  await writeFile(first.privateKeyPath, 'old', { mode: 0o644 });
  const second = await writeSigningKeyPair({ outDir: dir, force: true });
  assert.notEqual(second.keyId, first.keyId);
  assert.equal((await stat(second.privateKeyPath)).mode & 0o777, 0o600);
  assert.equal((await loadSigningKey(second.privateKeyPath)).keyId, second.keyId);
  const named = await writeSigningKeyPair({ outDir: dir, name: 'release' });
  assert.equal(named.privateKeyPath, join(dir, 'release.key'));
  await assert.rejects(writeSigningKeyPair({ outDir: dir, name: '../escape' }), { code: 'MG_INVALID_REQUEST' });
});

test('signing keys must be Ed25519 private keys', () => {
  assert.throws(() => signingKeyFromPem('not a key'), { code: 'MG_CONFIG_INVALID' });
  const rsa = generateKeyPairSync('rsa', { modulusLength: 1024 }).privateKey.export({ type: 'pkcs8', format: 'pem' });
  assert.throws(() => signingKeyFromPem(rsa), { code: 'MG_CONFIG_INVALID', message: /rsa key/ });
});

test('a trust store loads from files and from directories of *.pem and *.pub', async (t) => {
  const dir = await tempDir(t);
  const a = await writeSigningKeyPair({ outDir: join(dir, 'a') });
  const b = await writeSigningKeyPair({ outDir: join(dir, 'b') });
  const trustDir = join(dir, 'trust');
  await mkdir(trustDir);
  await writeFile(join(trustDir, 'b.pem'), await readFile(b.publicKeyPath));
  await writeFile(join(trustDir, 'notes.txt'), 'not a key');

  const fromFile = await loadTrustStore([a.publicKeyPath]);
  assert.deepEqual([...fromFile.keys()], [a.keyId]);
  const both = await loadTrustStore([a.publicKeyPath, trustDir]);
  assert.deepEqual([...both.keys()].sort(), [a.keyId, b.keyId].sort());
  const fromKeygenDir = await loadTrustStore([join(dir, 'a')]);
  assert.deepEqual([...fromKeygenDir.keys()], [a.keyId], 'the .key file in a keygen directory is not read');

  await writeFile(join(trustDir, 'oops.pem'), await readFile(a.privateKeyPath));
  await assert.rejects(loadTrustStore([trustDir]), { code: 'MG_CONFIG_INVALID', message: /oops\.pem holds a private key/ });
  const empty = join(dir, 'empty');
  await mkdir(empty);
  await assert.rejects(loadTrustStore([empty]), { code: 'MG_CONFIG_INVALID', message: /no public key found/ });
  await assert.rejects(loadTrustStore([join(dir, 'absent.pem')]), { code: 'MG_CONFIG_INVALID' });
  const rsaPub = generateKeyPairSync('rsa', { modulusLength: 1024 }).publicKey.export({ type: 'spki', format: 'pem' });
  assert.throws(() => trustStoreFromPems([rsaPub]), { code: 'MG_CONFIG_INVALID', message: /rsa key/ });
});

test('encryption keys: raw 32 bytes, hex or base64 text, from a file or the environment', async (t) => {
  const key = Buffer.from(Array.from({ length: 32 }, (_, i) => i * 7));
  assert.deepEqual(parseEncryptionKey(key), key);
  assert.deepEqual(parseEncryptionKey(key.toString('hex')), key);
  assert.deepEqual(parseEncryptionKey(`${key.toString('base64')}\n`), key);
  assert.deepEqual(parseEncryptionKey(key.toString('base64url')), key);
  assert.deepEqual(parseEncryptionKey(Buffer.from(`${key.toString('hex').toUpperCase()}\n`)), key);
  for (const bad of [Buffer.alloc(31), Buffer.alloc(33), 'abc', key.toString('hex').slice(2), 'password123']) {
    assert.throws(() => parseEncryptionKey(bad), { code: 'MG_CONFIG_INVALID' });
  }
  const dir = await tempDir(t);
  await writeFile(join(dir, 'k.bin'), key);
  await writeFile(join(dir, 'k.hex'), `${key.toString('hex')}\n`);
  assert.deepEqual(await readEncryptionKey({ file: join(dir, 'k.bin') }), key);
  assert.deepEqual(await readEncryptionKey({ file: join(dir, 'k.hex') }), key);
  assert.deepEqual(await readEncryptionKey({ env: 'MG_K' }, { MG_K: key.toString('base64') }), key);
  await assert.rejects(readEncryptionKey({ env: 'MG_K' }, {}), { code: 'MG_CONFIG_INVALID', message: /MG_K .* is not set/ });
  await assert.rejects(readEncryptionKey({ file: join(dir, 'absent') }), { code: 'MG_CONFIG_INVALID' });
});
