// The checkpoint signing key file: created once, 0600, public key beside it; reloaded unchanged;
// checkpoint signatures bind seq, head and time.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { generateKeyPairSync, type KeyObject } from 'node:crypto';
import { mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { checkpointSignatureValid, loadOrCreateAuditSigningKey, readPublicKey, signCheckpoint } from '../../src/audit/index.ts';
import { installKey } from '../../src/audit/signing.ts';

test('the signing key is created 0600 with its public key next to it, and loaded unchanged after', () => {
  const dir = mkdtempSync(join(tmpdir(), 'mg-audit-key-'));
  try {
    const first = loadOrCreateAuditSigningKey(join(dir, 'data'));
    assert.equal(first.created, true);
    assert.equal(statSync(first.privateKeyFile).mode & 0o777, 0o600);
    assert.equal(statSync(join(dir, 'data')).mode & 0o777, 0o700);
    assert.match(first.keyId, /^[0-9a-f]{16}$/);
    const again = loadOrCreateAuditSigningKey(join(dir, 'data'));
    assert.equal(again.created, false);
    assert.equal(again.keyId, first.keyId);
    const pub = readPublicKey(readFileSync(again.publicKeyFile));
    const cp = signCheckpoint(again, 7, 'ab'.repeat(32), '2025-01-01T00:00:00.000Z');
    assert.equal(checkpointSignatureValid(cp, pub), true);
    assert.equal(checkpointSignatureValid({ ...cp, seq: 8 }, pub), false);
    assert.equal(checkpointSignatureValid({ ...cp, time: '2025-01-02T00:00:00.000Z' }, pub), false);
    assert.equal(checkpointSignatureValid({ ...cp, signature: 'not base64!' }, pub), false);
    writeFileSync(first.privateKeyFile, 'garbage');
    assert.throws(() => loadOrCreateAuditSigningKey(join(dir, 'data')), { code: 'MG_CONFIG_INVALID' });
    assert.throws(() => readPublicKey('nope'), { code: 'MG_CONFIG_INVALID' });
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('a key another process installed first wins: the loser uses it, and leaves no file behind', () => {
  const dir = mkdtempSync(join(tmpdir(), 'mg-keyrace-'));
  try {
    const file = join(dir, 'audit-signing.key');
    const first = generateKeyPairSync('ed25519').privateKey;
    const second = generateKeyPairSync('ed25519').privateKey;
    const won = installKey(file, first);
    assert.equal(won.created, true);
    // What the second of two processes that both found no key does: it must not replace the key.
    const lost = installKey(file, second);
    assert.equal(lost.created, false);
    const pem = (k: KeyObject) => k.export({ type: 'pkcs8', format: 'pem' });
    assert.equal(pem(lost.key), pem(first));
    assert.equal(readFileSync(file, 'utf8'), pem(first));
    assert.equal(statSync(file).mode & 0o777, 0o600);
    assert.deepEqual(readdirSync(dir), ['audit-signing.key'], 'no temporary file left behind');
    assert.equal(loadOrCreateAuditSigningKey(dir).keyId, loadOrCreateAuditSigningKey(dir).keyId);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
