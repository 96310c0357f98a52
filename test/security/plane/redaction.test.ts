// Secrets never reach a log line: the real server process at trace level, configured with a
// bootstrap token, a PostgreSQL URL and a Redis URL that carry passwords, answering requests that
// carry credentials (good, wrong, in both headers), then stopped; and a start that fails on its
// database. Everything it printed is scanned for every secret.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import pg from 'pg';
import { offsetModel, writeModel } from '../../fixtures/onnx.ts';
import { tempDir } from '../../fixtures/server.ts';
import { DATABASE_URL } from '../../store/targets.ts';
import { freePort, startModelgate } from '../../e2e/process.ts';

const REDIS = new URL(process.env.REDIS_URL ?? 'redis://127.0.0.1:6379');
const secret = (label: string) => `${label}${randomBytes(12).toString('hex')}`;
const withPassword = (url: string, password: string) => {
  const u = new URL(url);
  u.password = password;
  if (!u.username && u.protocol.startsWith('postgres')) u.username = 'postgres';
  return u.toString();
};

function assertNoSecrets(output: string, secrets: Record<string, string>): void {
  const found = Object.entries(secrets).filter(([, v]) => output.includes(v)).map(([k]) => k);
  assert.deepEqual(found, [], `secrets in the output:\n${output.slice(0, 4000)}`);
}

test('a running server at trace level logs no secret: token, database and Redis passwords, API keys', async () => {
  const secrets = { token: `mg_admin_${secret('tok')}`, pgPassword: secret('pgpw'), redisPassword: secret('rdpw') };
  const schema = `mg_redact_${randomBytes(6).toString('hex')}`;
  const repo = tempDir();
  writeModel(repo, 'scorer', '1', offsetModel(1));
  const dataDir = join(tempDir(), 'data');
  mkdirSync(dataDir, { recursive: true });
  // The same secret as a mounted file, which is where the process helper reads it from.
  writeFileSync(join(dataDir, 'admin.token'), `${secrets.token}\n`, { mode: 0o600 });
  // The local Redis has no password: it is sent anyway (AUTH) and refused or ignored, which must not echo it.
  const redisUrl = `redis://${REDIS.username || 'default'}:${secrets.redisPassword}@${REDIS.host}`;
  const mg = await startModelgate('serve', ['--model-repository', repo, '--allow-unsigned', 'true', '--log-level', 'trace', '--database-schema', schema], {
    MODELGATE_BOOTSTRAP_TOKEN: secrets.token,
    MODELGATE_DATABASE_URL: withPassword(DATABASE_URL, secrets.pgPassword),
    MODELGATE_REDIS_URL: redisUrl,
  }, dataDir);
  try {
    const call = (base: string, path: string, headers: Record<string, string>, body?: unknown) =>
      fetch(`${base}${path}`, { method: body ? 'POST' : 'GET', headers: { ...headers, ...(body !== undefined && { 'content-type': 'application/json' }) }, ...(body !== undefined && { body: JSON.stringify(body) }) });
    const created = await call(mg.adminUrl, '/admin/keys', { authorization: `Bearer ${secrets.token}` }, { name: 'logged?', roles: ['predictor'], models: ['scorer'] });
    assert.equal(created.status, 201);
    const apiKey = ((await created.json()) as { key: string }).key;
    // mg_<id>_<secret>: the secret is base64url and may itself hold '_', so it is everything after
    // the id (the last '_'-separated piece alone could be two characters found by chance in any log).
    const apiSecret = apiKey.split('_').slice(2).join('_');
    assert.ok(apiSecret.length >= 40, apiSecret);
    const wrongKey = `mg_aaaaaaaaaaaa_${randomBytes(32).toString('base64url')}`;
    const tensor = { inputs: [{ name: 'x', datatype: 'FP32', shape: [1, 1], data: [1] }] };
    const statuses = [
      (await call(mg.url, '/v2/models/scorer/infer', { authorization: `Bearer ${apiKey}` }, tensor)).status,
      (await call(mg.url, '/v2/models/scorer/infer', { 'x-api-key': apiKey }, tensor)).status,
      (await call(mg.url, '/v2/models/scorer/infer', { authorization: `Bearer ${wrongKey}` }, tensor)).status,
      (await call(mg.url, '/v2/models/scorer/infer', { authorization: `Bearer ${secrets.token}x` }, tensor)).status,
      (await call(mg.adminUrl, '/admin/keys', { 'x-api-key': secrets.token })).status,
      (await call(mg.adminUrl, '/admin/keys', { authorization: `Bearer ${apiKey}` })).status,
      (await call(mg.url, '/v2/models/scorer/infer', { authorization: `Bearer ${apiKey}` }, { inputs: 'not a tensor' })).status,
    ];
    assert.deepEqual(statuses, [200, 200, 401, 401, 200, 403, 400]);
    mg.proc.kill('SIGTERM');
    await mg.exited;
    const output = mg.output();
    assert.match(output, /modelgate is serving/, 'the scan read real log lines');
    assertNoSecrets(output, { ...secrets, apiKey, apiSecret, wrongKey });
  } finally {
    if (mg.proc.exitCode === null) {
      mg.proc.kill('SIGTERM');
      await mg.exited;
    }
    const client = new pg.Client({ connectionString: DATABASE_URL });
    await client.connect();
    await client.query(`DROP SCHEMA IF EXISTS ${schema} CASCADE`).finally(() => client.end());
  }
});

test('a start that fails on its database or its Redis prints neither password', async () => {
  const pgPassword = secret('pgpw');
  const redisPassword = secret('rdpw');
  const closed = await freePort();
  const dataDir = join(tempDir(), 'data');
  mkdirSync(dataDir, { recursive: true });
  writeFileSync(join(dataDir, 'admin.token'), `mg_admin_${secret('tok')}\n`, { mode: 0o600 });
  // A database that refuses connections: the server must not start, and say why without the URL's password.
  await assert.rejects(
    startModelgate('serve', ['--log-level', 'trace'], {
      MODELGATE_DATABASE_URL: `postgres://modelgate:${pgPassword}@127.0.0.1:${closed}/modelgate`,
      MODELGATE_REDIS_URL: `redis://default:${redisPassword}@127.0.0.1:${closed}`,
    }, dataDir),
    (err: Error) => {
      assert.match(err.message, /modelgate exited early/);
      assert.ok(!err.message.includes(pgPassword) && !err.message.includes(redisPassword), err.message);
      return true;
    },
  );
});

test('a Redis that cannot be reached while serving is logged without its password', async () => {
  const redisPassword = secret('rdpw');
  const closed = await freePort();
  const repo = tempDir();
  writeModel(repo, 'scorer', '1', offsetModel(1));
  const mg = await startModelgate('serve', ['--model-repository', repo, '--allow-unsigned', 'true', '--log-level', 'trace'], {
    MODELGATE_REDIS_URL: `redis://default:${redisPassword}@127.0.0.1:${closed}`,
  });
  try {
    const res = await fetch(`${mg.url}/v2/models/scorer/infer`, {
      method: 'POST',
      headers: { authorization: `Bearer ${mg.token}`, 'content-type': 'application/json' },
      body: JSON.stringify({ inputs: [{ name: 'x', datatype: 'FP32', shape: [1, 1], data: [1] }] }),
    });
    // Fail closed (rateLimits.failOpen is false): the limit cannot be checked, so the request is not served.
    assert.equal(res.status, 503);
  } finally {
    mg.proc.kill('SIGTERM');
    await mg.exited;
  }
  assert.match(mg.output(), /rate limiter store failed/, 'the failure was logged');
  assertNoSecrets(mg.output(), { redisPassword, token: mg.token });
});
