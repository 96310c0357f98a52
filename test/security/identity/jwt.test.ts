// Bearer JWTs against real key pairs made by jose: a JWKS file and a JWKS served by a real local
// HTTP server. Valid RS256/ES256/EdDSA tokens pass; expired, wrong issuer or audience, wrong key,
// alg none, an HS256 forgery with the public key, unknown roles and unscoped predictors fail.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { createHmac } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { exportJWK, exportSPKI, generateKeyPair, SignJWT, type CryptoKey, type JWK, type JWTPayload } from 'jose';
import { createJwtVerifier, jwtSettingsSchema, type JwtVerifier } from '../../../src/security/identity/index.ts';

const ISS = 'https://idp.example.com/';
const AUD = 'modelgate';
const dir = mkdtempSync(join(tmpdir(), 'mg-jwt-'));
type Pair = { alg: string; kid: string; privateKey: CryptoKey; publicKey: CryptoKey; jwk: JWK };
const pairs: Record<string, Pair> = {};
let jwksFile: string;

async function pair(alg: string, kid: string): Promise<Pair> {
  const { privateKey, publicKey } = await generateKeyPair(alg, { extractable: true });
  return { alg, kid, privateKey, publicKey, jwk: { ...(await exportJWK(publicKey)), kid, alg, use: 'sig' } };
}

const b64 = (v: unknown) => Buffer.from(JSON.stringify(v)).toString('base64url');
const seconds = () => Math.floor(Date.now() / 1000);

function sign(p: Pair, claims: JWTPayload, opts: { iss?: string; aud?: string; exp?: number | null; sub?: string } = {}): Promise<string> {
  let jwt = new SignJWT(claims).setProtectedHeader({ alg: p.alg, kid: p.kid, typ: 'JWT' }).setIssuedAt()
    .setIssuer(opts.iss ?? ISS).setAudience(opts.aud ?? AUD).setSubject(opts.sub ?? 'alice');
  if (opts.exp !== null) jwt = jwt.setExpirationTime(opts.exp ?? seconds() + 300);
  return jwt.sign(p.privateKey);
}

let fileVerifier: JwtVerifier;
before(async () => {
  pairs.rs = await pair('RS256', 'rs-1');
  pairs.es = await pair('ES256', 'es-1');
  pairs.ed = await pair('EdDSA', 'ed-1');
  jwksFile = join(dir, 'jwks.json');
  writeFileSync(jwksFile, JSON.stringify({ keys: [pairs.rs.jwk, pairs.es.jwk, pairs.ed.jwk] }));
  fileVerifier = await createJwtVerifier({ jwksFile, issuer: ISS, audience: AUD });
});
after(() => rmSync(dir, { recursive: true, force: true }));

async function refused(token: string, reason: RegExp, verifier = fileVerifier): Promise<void> {
  const r = await verifier.verify(token);
  assert.equal(r.ok, false, 'the token was accepted');
  if (!r.ok) assert.match(r.reason, reason);
  assert.equal(await verifier.authenticate(token), undefined);
}

test('RS256, ES256 and EdDSA tokens give a principal jwt:<iss>:<sub> with roles and model scope', async () => {
  for (const p of [pairs.rs, pairs.es, pairs.ed]) {
    const token = await sign(p, { roles: ['predictor'], models: ['spam-filter'] });
    assert.deepEqual(await fileVerifier.authenticate(token), {
      id: `jwt:${ISS}:alice`,
      kind: 'token',
      roles: ['predictor'],
      models: ['spam-filter'],
    }, p.alg);
  }
  const admin = await fileVerifier.authenticate(await sign(pairs.es, { roles: 'admin auditor' }));
  assert.deepEqual(admin?.roles, ['admin', 'auditor'], 'a space-separated roles claim works too');
  assert.equal(admin?.models, undefined);
});

test('expiry and subject: exp and sub are required, an expired token is refused, small clock skew is tolerated', async () => {
  await refused(await sign(pairs.rs, { roles: ['viewer'] }, { exp: seconds() - 3600 }), /ERR_JWT_EXPIRED/);
  await refused(await sign(pairs.rs, { roles: ['viewer'] }, { exp: null }), /ERR_JWT_CLAIM_VALIDATION_FAILED \(exp\)/);
  assert.ok(await fileVerifier.authenticate(await sign(pairs.rs, { roles: ['viewer'] }, { exp: seconds() - 5 })), 'within 30 s tolerance');
  const strict = await createJwtVerifier({ jwksFile, issuer: ISS, audience: AUD, clockToleranceSec: 0 });
  await refused(await sign(pairs.rs, { roles: ['viewer'] }, { exp: seconds() - 5 }), /ERR_JWT_EXPIRED/, strict);
  const unsubbed = await new SignJWT({ roles: ['viewer'] }).setProtectedHeader({ alg: 'ES256', kid: 'es-1' })
    .setIssuer(ISS).setAudience(AUD).setExpirationTime('5m').sign(pairs.es.privateKey);
  await refused(unsubbed, /\(sub\)/);
});

test('a wrong issuer or audience is refused', async () => {
  await refused(await sign(pairs.es, { roles: ['viewer'] }, { iss: 'https://evil.example.com/' }), /\(iss\)/);
  await refused(await sign(pairs.es, { roles: ['viewer'] }, { aud: 'another-service' }), /\(aud\)/);
});

test('a token signed by a key outside the set is refused, even under a known kid', async () => {
  const stranger = await pair('ES256', 'es-1');
  await refused(await sign(stranger, { roles: ['admin'] }), /ERR_JWS_SIGNATURE_VERIFICATION_FAILED/);
  const unknownKid = await pair('ES256', 'nobody');
  await refused(await sign(unknownKid, { roles: ['admin'] }), /ERR_JWKS_NO_MATCHING_KEY/);
});

test('a rotated JWKS file is picked up without a restart; a broken one is reported and the keys in force stay', async () => {
  const rotating = join(dir, 'rotating.json');
  const old = await pair('ES256', 'old-1');
  const next = await pair('ES256', 'new-1');
  writeFileSync(rotating, JSON.stringify({ keys: [old.jwk] }));
  let now = Date.now();
  const problems: string[] = [];
  const v = await createJwtVerifier({ jwksFile: rotating, issuer: ISS, audience: AUD, jwksFileCheckMs: 5000 }, { now: () => now, onJwksFileError: (e) => problems.push(e.message) });
  const oldToken = await sign(old, { roles: ['viewer'] });
  const newToken = await sign(next, { roles: ['viewer'] });
  assert.equal((await v.verify(oldToken)).ok, true);
  writeFileSync(rotating, JSON.stringify({ keys: [next.jwk] }));
  await refused(newToken, /ERR_JWKS_NO_MATCHING_KEY/, v); // not checked again yet
  now += 5000;
  assert.equal((await v.verify(newToken)).ok, true, 'the new key is in force');
  await refused(oldToken, /ERR_JWKS_NO_MATCHING_KEY/, v);
  writeFileSync(rotating, '{"keys": [');
  now += 5000;
  assert.equal((await v.verify(newToken)).ok, true, 'a broken file leaves the keys in force');
  assert.equal(problems.length, 1);
  assert.match(problems[0], /cannot be read as JSON/);
  now += 5000;
  assert.equal((await v.verify(newToken)).ok, true);
  assert.equal(problems.length, 1, 'reported once, not on every check');
  writeFileSync(rotating, JSON.stringify({ keys: [{ kty: 'oct', k: 'c2VjcmV0' }] }));
  now += 5000;
  assert.equal((await v.verify(newToken)).ok, true, 'a symmetric key is refused on reload as at start');
  assert.match(problems[1], /symmetric/);
  rmSync(rotating);
  for (let i = 0; i < 3; i++) {
    now += 5000;
    assert.equal((await v.verify(newToken)).ok, true, 'a vanished file (a secret being swapped) leaves the keys in force');
  }
  assert.equal(problems.length, 3, 'reported once while it stays missing');
  assert.match(problems[2], /cannot be read \(ENOENT\)/);

  // A key the file gained is used at once by the first token that needs it, at most once a second.
  const third = await pair('ES256', 'third-1');
  writeFileSync(rotating, JSON.stringify({ keys: [next.jwk, third.jwk] }));
  const thirdToken = await sign(third, { roles: ['viewer'] });
  now += 1000;
  assert.equal((await v.verify(thirdToken)).ok, true, 'an unknown kid made the verifier look again before the 5 s check');
  await refused(await sign(await pair('ES256', 'made-up'), { roles: ['viewer'] }), /ERR_JWKS_NO_MATCHING_KEY/, v);
});

test('an issuer or subject with control characters, or longer than 250 characters, is refused', async () => {
  await refused(await sign(pairs.es, { roles: ['viewer'] }, { sub: 'alice\u001b[2J' }), /control characters/);
  await refused(await sign(pairs.es, { roles: ['viewer'] }, { sub: 'a'.repeat(251) }), /too long/);
  assert.equal((await fileVerifier.verify(await sign(pairs.es, { roles: ['viewer'] }, { sub: 'a'.repeat(250) }))).ok, true);
});

test("alg 'none' and an HS256 forgery keyed with the public key are refused", async () => {
  const claims = { iss: ISS, aud: AUD, sub: 'mallory', exp: seconds() + 300, roles: ['admin'] };
  await refused(`${b64({ alg: 'none', typ: 'JWT' })}.${b64(claims)}.`, /ERR_JOSE_ALG_NOT_ALLOWED|ERR_JWS_INVALID/);
  // The classic confusion: HMAC with the verifier's public key as the secret.
  for (const secret of [await exportSPKI(pairs.rs.publicKey), JSON.stringify(pairs.rs.jwk), pairs.rs.jwk.n!]) {
    const input = `${b64({ alg: 'HS256', kid: 'rs-1', typ: 'JWT' })}.${b64(claims)}`;
    const forged = `${input}.${createHmac('sha256', secret).update(input).digest('base64url')}`;
    await refused(forged, /ERR_JOSE_ALG_NOT_ALLOWED/);
  }
  assert.throws(() => jwtSettingsSchema.parse({ jwksFile, issuer: ISS, audience: AUD, algorithms: ['HS256'] }));
  assert.throws(() => jwtSettingsSchema.parse({ jwksFile, issuer: ISS, audience: AUD, algorithms: ['none'] }));
});

test('roles must be known and present; a predictor must carry a model scope or models ["*"]', async () => {
  await refused(await sign(pairs.ed, { roles: ['admin', 'superuser'] }), /unknown role "superuser"/);
  await refused(await sign(pairs.ed, {}), /no roles in claim 'roles'/);
  await refused(await sign(pairs.ed, { roles: [] }), /no roles/);
  await refused(await sign(pairs.ed, { roles: [{ admin: true }] }), /unknown role/);
  await refused(await sign(pairs.ed, { roles: ['predictor'] }), /model scope/);
  await refused(await sign(pairs.ed, { roles: ['predictor'], models: ['../etc'] }), /not valid/);
  const all = await fileVerifier.authenticate(await sign(pairs.ed, { roles: ['predictor'], models: ['*'] }));
  assert.deepEqual(all, { id: `jwt:${ISS}:alice`, kind: 'token', roles: ['predictor'] });
});

test('configurable claims: modelgate_roles, and a dotted path such as realm_access.roles', async () => {
  const custom = await createJwtVerifier({ jwksFile, issuer: ISS, audience: AUD, rolesClaim: 'modelgate_roles', modelsClaim: 'modelgate_models' });
  const p = await custom.authenticate(await sign(pairs.rs, { roles: ['admin'], modelgate_roles: ['predictor'], modelgate_models: ['fraud'] }));
  assert.deepEqual(p?.roles, ['predictor']);
  assert.deepEqual(p?.models, ['fraud']);
  const keycloak = await createJwtVerifier({ jwksFile, issuer: ISS, audience: AUD, rolesClaim: 'realm_access.roles' });
  assert.deepEqual((await keycloak.authenticate(await sign(pairs.rs, { realm_access: { roles: ['auditor'] } })))?.roles, ['auditor']);
});

test('a JWKS file with a symmetric or private key, or no keys, is refused at start', async () => {
  const write = (name: string, v: unknown) => {
    const f = join(dir, name);
    writeFileSync(f, JSON.stringify(v));
    return f;
  };
  const oct = write('oct.json', { keys: [{ kty: 'oct', k: 'c2VjcmV0', kid: 'h' }] });
  const priv = write('priv.json', { keys: [{ ...(await exportJWK(pairs.es.privateKey)), kid: 'p' }] });
  const empty = write('empty.json', { keys: [] });
  for (const f of [oct, priv, empty, join(dir, 'missing.json')]) {
    await assert.rejects(createJwtVerifier({ jwksFile: f, issuer: ISS, audience: AUD }), { code: 'MG_CONFIG_INVALID' }, f);
  }
});

test('settings: exactly one JWKS source; a JWKS URL must be https or loopback http', () => {
  const base = { issuer: ISS, audience: AUD };
  assert.throws(() => jwtSettingsSchema.parse(base), /exactly one/);
  assert.throws(() => jwtSettingsSchema.parse({ ...base, jwksFile, jwksUrl: 'https://idp.example.com/jwks' }), /exactly one/);
  assert.throws(() => jwtSettingsSchema.parse({ ...base, jwksUrl: 'http://idp.example.com/jwks' }), /https/);
  assert.doesNotThrow(() => jwtSettingsSchema.parse({ ...base, jwksUrl: 'http://127.0.0.1:9000/jwks' }));
  const parsed = jwtSettingsSchema.parse({ ...base, jwksUrl: 'https://idp.example.com/jwks' });
  assert.deepEqual([parsed.rolesClaim, parsed.modelsClaim, parsed.clockToleranceSec, parsed.algorithms], ['roles', 'models', 30, ['RS256', 'ES256', 'EdDSA']]);
});

test('URL mode: a real HTTP server serves the JWKS; it is fetched once, and again for a new kid', async () => {
  let fetches = 0;
  let keys: JWK[] = [pairs.es.jwk];
  const server: Server = createServer((req, res) => {
    fetches++;
    res.writeHead(req.url === '/jwks' ? 200 : 404, { 'content-type': 'application/json' });
    res.end(JSON.stringify({ keys }));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  try {
    const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/jwks`;
    const remote = await createJwtVerifier({ jwksUrl: url, issuer: ISS, audience: AUD, jwksCooldownMs: 0 });
    for (let i = 0; i < 3; i++) assert.ok(await remote.authenticate(await sign(pairs.es, { roles: ['viewer'] })));
    assert.equal(fetches, 1, 'the set is cached');
    await refused(await sign(pairs.rs, { roles: ['viewer'] }), /ERR_JWKS_NO_MATCHING_KEY/, remote);
    keys = [pairs.es.jwk, pairs.rs.jwk]; // the provider rotates in a new key
    assert.ok(await remote.authenticate(await sign(pairs.rs, { roles: ['viewer'] })), 'an unknown kid triggers a refetch');
    await refused(await sign(pairs.es, { roles: ['viewer'] }, { aud: 'x' }), /\(aud\)/, remote);
    await refused(`${b64({ alg: 'none' })}.${b64({ iss: ISS, aud: AUD, sub: 'm', exp: seconds() + 60, roles: ['admin'] })}.`, /ALG_NOT_ALLOWED|JWS_INVALID/, remote);
  } finally {
    server.closeAllConnections();
    await new Promise((resolve) => server.close(resolve));
  }
});
