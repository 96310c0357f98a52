// The small parts on their own: key format, scrypt hashes, the verification cache, the scope rule,
// the settings defaults and the combined authenticator's dispatch.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { authorize, bootstrapAuthenticator, type Action, type Principal } from '../../../src/security/index.ts';
import { createAuthenticator, formatKey, identitySettingsSchema, parseKey } from '../../../src/security/identity/index.ts';
import { cacheKey, VerificationCache } from '../../../src/security/identity/cache.ts';
import { dummyHash, hashSecret, verifySecret } from '../../../src/security/identity/hashing.ts';
import { newKeyId, newSecret } from '../../../src/security/identity/key-format.ts';
import { createHash } from 'node:crypto';

test('key format: mg_<12 base32>_<43 base64url>, parsed back, and nothing else parses', () => {
  const ids = new Set<string>();
  for (let i = 0; i < 200; i++) {
    const id = newKeyId();
    const secret = newSecret();
    assert.match(id, /^[a-z2-7]{12}$/);
    assert.equal(Buffer.from(secret, 'base64url').length, 32);
    assert.deepEqual(parseKey(formatKey(id, secret)), { id, secret });
    ids.add(id);
  }
  assert.equal(ids.size, 200);
  // The bootstrap credential has the same prefix but is not an API key.
  assert.equal(parseKey(`mg_admin_${newSecret()}`), undefined);
  assert.equal(parseKey(`mg_${newKeyId()}_${newSecret()}=`), undefined);
  assert.equal(parseKey(`mg_${newKeyId()}_${newSecret()}\n`), undefined);
});

test('scrypt hashes carry their parameters, differ per salt, and verify only the right secret', async () => {
  const s = { logN: 10, r: 8, p: 1 };
  const a = await hashSecret('secret', s);
  const b = await hashSecret('secret', s);
  assert.match(a, /^scrypt\$ln=10,r=8,p=1\$/);
  assert.notEqual(a, b, 'a fresh salt per hash');
  assert.ok(await verifySecret('secret', a));
  assert.ok(await verifySecret('secret', b));
  assert.ok(!(await verifySecret('Secret', a)));
  assert.ok(!(await verifySecret('secret', dummyHash(s))));
  // Tampered or out-of-bounds rows are refused without running scrypt on them.
  assert.ok(!(await verifySecret('secret', a.replace('ln=10', 'ln=30'))));
  assert.ok(!(await verifySecret('secret', a.slice(0, -4))));
  assert.ok(!(await verifySecret('secret', 'secret')));
});

test('the cache: hits until the TTL or the key expiry, LRU beyond its cap, invalidated by key id', () => {
  let now = 0;
  const p = (id: string): Principal => ({ id, kind: 'api-key', roles: ['viewer'] });
  const cache = new VerificationCache(1000, 2, () => now);
  cache.set('d1', 'k1', p('key:k1'), undefined);
  cache.set('d2', 'k2', p('key:k2'), 500);
  assert.equal(cache.get('d1')?.id, 'key:k1');
  now = 500;
  assert.equal(cache.get('d2'), undefined, 'the key expired before the TTL');
  cache.set('d2', 'k2', p('key:k2'), undefined);
  assert.ok(cache.get('d1')); // d1 is now the most recently used
  cache.set('d3', 'k3', p('key:k3'), undefined);
  assert.equal(cache.size, 2);
  assert.equal(cache.get('d2'), undefined, 'the least recently used entry went');
  cache.set('d1b', 'k1', p('key:k1'), undefined);
  cache.invalidate('k1');
  assert.equal(cache.get('d1'), undefined);
  assert.equal(cache.get('d1b'), undefined);
  assert.ok(cache.get('d3'));
  now = 2000;
  assert.equal(cache.get('d3'), undefined, 'the TTL passed');
  assert.equal(cacheKey('abc'), createHash('sha256').update('abc').digest('hex'));
  const off = new VerificationCache(0, 10, () => now);
  off.set('d', 'k', p('key:k'), undefined);
  assert.equal(off.size, 0, 'a TTL of 0 turns the cache off');
});

test('settings defaults: scrypt 2^14/8/1, a 60 s cache of 10 000 keys, no JWT', () => {
  const s = identitySettingsSchema.parse(undefined);
  assert.deepEqual(s, { apiKeys: { cacheTtlMs: 60_000, cacheMax: 10_000, lastUsedResolutionMs: 60_000, scrypt: { logN: 14, r: 8, p: 1 } } });
  assert.throws(() => identitySettingsSchema.parse({ apiKeys: { scrypt: { logN: 4 } } }));
  assert.throws(() => identitySettingsSchema.parse({ apiKey: {} }), 'unknown keys are refused');
});

test('the combined authenticator sends each credential shape to its verifier, and only there', async () => {
  const seen: string[] = [];
  const principal = (id: string): Principal => ({ id, kind: 'token', roles: ['viewer'] });
  const token = 'mg_admin_' + 'x'.repeat(43);
  const auth = createAuthenticator({
    bootstrap: bootstrapAuthenticator({ source: 'environment', created: false, digest: createHash('sha256').update(token).digest() }),
    apiKeys: { authenticate: async (c) => (seen.push(`key:${c}`), principal('key')) },
    jwt: { authenticate: async (c) => (seen.push(`jwt:${c}`), principal('jwt')) },
  });
  assert.equal((await auth(token))?.id, 'bootstrap-admin');
  const key = formatKey(newKeyId(), newSecret());
  assert.equal((await auth(key))?.id, 'key');
  assert.equal((await auth('aaa.bbb.ccc'))?.id, 'jwt');
  assert.equal(await auth('not a credential'), undefined);
  assert.equal(await auth(undefined), undefined);
  assert.equal(await auth(''), undefined);
  assert.deepEqual(seen, [`key:${key}`, 'jwt:aaa.bbb.ccc']);
  const noJwt = createAuthenticator({});
  assert.equal(await noJwt('aaa.bbb.ccc'), undefined, 'without an identity provider tokens are refused');
});

test('a refusal says in words what the principal may not do, for every action, with and without a model', () => {
  const nobody: Principal = { id: 'key:abcdefghijkm', kind: 'api-key', roles: [] };
  const refusal = (action: Action, model?: string) => {
    try {
      authorize(nobody, action, model);
    } catch (err) {
      return (err as Error).message;
    }
    return 'allowed';
  };
  const expected: Record<Action, [string, string]> = {
    infer: ['run inference', "run inference on model 'spam'"],
    label: ['label requests', "label requests of model 'spam'"],
    read: ['read models and endpoints', "read model 'spam'"],
    metrics: ['read metrics', "read metrics of model 'spam'"],
    audit: ['read the audit log', "read the audit log of model 'spam'"],
    deploy: ['deploy or change models', "deploy or change model 'spam'"],
    admin: ['administer this server', "administer model 'spam'"],
  };
  for (const [action, [any, one]] of Object.entries(expected) as [Action, [string, string]][]) {
    assert.equal(refusal(action), `'key:abcdefghijkm' may not ${any}`);
    assert.equal(refusal(action, 'spam'), `'key:abcdefghijkm' may not ${one}`);
  }
  assert.throws(() => authorize(undefined, 'read'), { code: 'MG_UNAUTHENTICATED' });
});
