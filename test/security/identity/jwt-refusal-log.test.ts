// Why a bearer JWT was refused reaches the server's log (the client hears only 401), once a minute per
// reason, and never with the token in it.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import { exportJWK, generateKeyPair, SignJWT } from 'jose';
import { pino } from 'pino';
import { throttledWarning } from '../../../src/assembly/logging.ts';
import { tempDir, testServer, type TestServer } from '../../fixtures/server.ts';

const ISS = 'https://idp.example.com/';
const lines: { msg: string; reason?: string; heldBack?: number }[] = [];
const raw: string[] = [];
const sink = new Writable({
  write(chunk: Buffer, _enc, done) {
    raw.push(chunk.toString());
    lines.push(JSON.parse(chunk.toString()));
    done();
  },
});
let t: TestServer;
let sign: (aud: string, exp: number) => Promise<string>;

let dir: string;
before(async () => {
  dir = tempDir();
  const { privateKey, publicKey } = await generateKeyPair('ES256', { extractable: true });
  const jwksFile = join(dir, 'jwks.json');
  writeFileSync(jwksFile, JSON.stringify({ keys: [{ ...(await exportJWK(publicKey)), kid: 'k1', alg: 'ES256', use: 'sig' }] }));
  const configFile = join(dir, 'settings.json');
  writeFileSync(configFile, JSON.stringify({ identity: { jwt: { jwksFile, issuer: ISS, audience: 'modelgate' } } }));
  sign = (aud, exp) => new SignJWT({ roles: ['viewer'] }).setProtectedHeader({ alg: 'ES256', kid: 'k1' })
    .setIssuer(ISS).setAudience(aud).setSubject('alice').setIssuedAt().setExpirationTime(exp).sign(privateKey);
  t = await testServer(undefined, {}, configFile, pino({ level: 'info' }, sink));
});
after(async () => {
  await t.close();
  rmSync(dir, { recursive: true, force: true });
});

const refusals = () => lines.filter((l) => l.msg === 'a bearer JWT was refused');
const get = (token: string) => t.server.inference.inject({ method: 'GET', url: '/v2', headers: { authorization: `Bearer ${token}` } });

test('an expired token and a token for another audience are logged with their reasons, not the tokens', async () => {
  const now = Math.floor(Date.now() / 1000);
  assert.equal((await get(await sign('modelgate', now + 300))).statusCode, 200, 'a valid token is accepted');
  const expired = await sign('modelgate', now - 600);
  assert.equal((await get(expired)).statusCode, 401);
  const foreign = await sign('another-service', now + 300);
  assert.equal((await get(foreign)).statusCode, 401);
  assert.deepEqual(refusals().map((l) => l.reason), ['ERR_JWT_EXPIRED (exp)', 'ERR_JWT_CLAIM_VALIDATION_FAILED (aud)']);
  for (const token of [expired, foreign]) {
    assert.ok(!raw.some((line) => line.includes(token.split('.')[2])), 'no line holds a token');
  }
  // The same reason again within the minute: no new line.
  assert.equal((await get(await sign('modelgate', now - 700))).statusCode, 401);
  assert.equal(refusals().length, 2);
});

test('throttledWarning: one line per reason per interval, then one that says how many were held back', () => {
  const seen: { reason?: string; heldBack?: number; msg: string }[] = [];
  const out = new Writable({ write(c: Buffer, _e, done) { seen.push(JSON.parse(c.toString())); done(); } });
  let clock = 0;
  const warn = throttledWarning(pino(out), 'refused', 60_000, () => clock);
  warn('a');
  warn('a');
  warn('b');
  clock = 30_000;
  warn('a');
  clock = 61_000;
  warn('a');
  warn('x'.repeat(5000));
  assert.deepEqual(seen.map((l) => [l.reason?.slice(0, 10), l.heldBack]), [['a', undefined], ['b', undefined], ['a', 2], ['xxxxxxxxxx', undefined]]);
  assert.equal(seen[3].reason!.length, 203, 'a long reason is cut');
});
