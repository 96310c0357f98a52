// loadTls / loadServerTls: strong keys accepted, weak or mismatched ones refused at start with a
// message naming the file, and the HTTPS options pinned (TLS 1.2 minimum, forward-secret AEAD only).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { isModelGateError } from '../../../src/errors.ts';
import { loadServerTls, loadTls, TLS_CIPHERS } from '../../../src/http/tls.ts';
import { makeCert } from './certs.ts';

const refused = (fn: () => unknown, pattern: RegExp) =>
  assert.throws(fn, (err: unknown) => isModelGateError(err) && err.code === 'MG_CONFIG_INVALID' && pattern.test(err.message));

test('RSA 2048, EC P-256 and Ed25519 certificates are accepted with TLS 1.2+ and AEAD ciphers only', () => {
  for (const kind of ['rsa2048', 'p256', 'ed25519'] as const) {
    const c = makeCert(kind);
    const tls = loadServerTls(c.cert, c.key, 'inference plane');
    assert.equal(tls.minVersion, 'TLSv1.2');
    assert.equal(tls.ciphers, TLS_CIPHERS);
    assert.ok(tls.cert.toString().includes('BEGIN CERTIFICATE'));
  }
  for (const suite of TLS_CIPHERS.split(':')) assert.match(suite, /^(TLS_|ECDHE-).*(GCM|POLY1305)/, suite);
});

test('an RSA key under 2048 bits and a non-NIST curve are refused', () => {
  const weak = makeCert('rsa1024');
  refused(() => loadServerTls(weak.cert, weak.key, 'inference plane'), /inference plane TLS key .*rsa1024\.key: an RSA key of 1024 bits is too weak; use at least 2048 bits/);
  const k1 = makeCert('secp256k1');
  refused(() => loadServerTls(k1.cert, k1.key, 'admin plane'), /EC curve secp256k1 is not accepted/);
});

test('a certificate that does not match the key, an expired one, and unreadable files are refused', () => {
  const a = makeCert('p256');
  const b = makeCert('p256');
  refused(() => loadServerTls(a.cert, b.key, 'inference plane'), /certificate .*p256\.crt does not match the key .*p256\.key/);
  refused(() => loadServerTls(a.cert, a.key, 'inference plane', new Date('2100-01-01')), /expired on/);
  refused(() => loadServerTls(join(a.dir, 'missing.crt'), a.key, 'inference plane'), /certificate file .*missing\.crt cannot be read/);
  const garbage = join(a.dir, 'garbage.key');
  writeFileSync(garbage, 'not a key');
  refused(() => loadServerTls(a.cert, garbage, 'inference plane'), /garbage\.key is not an unencrypted PEM private key/);
  refused(() => loadServerTls(garbage, a.key, 'inference plane'), /garbage\.key is not a PEM certificate/);
});

test('loadTls: nothing set is HTTP; the admin plane shares the pair unless given its own; half a pair is refused', () => {
  assert.equal(loadTls({}), undefined);
  const a = makeCert('p256');
  const b = makeCert('rsa2048');
  const shared = loadTls({ tlsCert: a.cert, tlsKey: a.key })!;
  assert.deepEqual([shared.inference?.cert, shared.admin?.cert], [shared.inference?.cert, shared.inference?.cert]);
  assert.ok(shared.admin);
  const own = loadTls({ tlsCert: a.cert, tlsKey: a.key, adminTlsCert: b.cert, adminTlsKey: b.key })!;
  assert.notDeepEqual(own.admin?.cert, own.inference?.cert);
  const adminOnly = loadTls({ adminTlsCert: b.cert, adminTlsKey: b.key })!;
  assert.deepEqual([adminOnly.inference, Boolean(adminOnly.admin)], [undefined, true]);
  refused(() => loadTls({ tlsCert: a.cert }), /set both tlsCert and tlsKey or neither/);
  refused(() => loadTls({ adminTlsKey: a.key }), /set both adminTlsCert and adminTlsKey or neither/);
});
