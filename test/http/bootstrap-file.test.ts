// The bootstrap admin credential handed in as a file (bootstrapTokenFile, a mounted secret): it is the
// credential requests must carry, and a missing or too-short file stops the start instead of serving.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { randomBytes } from 'node:crypto';
import { pino } from 'pino';
import { loadConfig } from '../../src/config/index.ts';
import { ModelGateError } from '../../src/errors.ts';
import { createServer } from '../../src/server.ts';
import { tempDir } from '../fixtures/server.ts';

/** Settings of a test server whose only admin credential is the file (no MODELGATE_BOOTSTRAP_TOKEN). */
function configWithFile(dir: string, file: string) {
  return loadConfig({
    env: {},
    flags: { bootstrapTokenFile: file, dataDir: join(dir, 'data'), registryPollMs: 0, maxEventLoopDelayMs: 0, port: 0, adminPort: 0, host: '127.0.0.1', logLevel: 'silent' },
  });
}

const start = (dir: string, file: string) => createServer(configWithFile(dir, file), { logger: pino({ level: 'silent' }) });

test('the credential in bootstrapTokenFile is accepted on both planes and nothing else is', async (t) => {
  const dir = tempDir();
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  const token = `secret_${randomBytes(24).toString('hex')}`;
  const file = join(dir, 'mounted-token');
  // A mounted secret often ends with a newline; it is not part of the credential.
  writeFileSync(file, `${token}\n`, { mode: 0o600 });
  const server = await start(dir, file);
  t.after(() => server.close());
  assert.deepEqual([server.credential.source, server.credential.created], [file, false]);
  assert.equal(existsSync(join(dir, 'data', 'admin.token')), false, 'no credential is generated in the data folder');

  for (const [plane, url] of [[server.inference, '/v2'], [server.admin, '/admin/models']] as const) {
    const ok = await plane.inject({ method: 'GET', url, headers: { authorization: `Bearer ${token}` } });
    assert.equal(ok.statusCode, 200, `${url} with the file's credential: ${ok.body}`);
    const wrong = await plane.inject({ method: 'GET', url, headers: { authorization: `Bearer ${token}x` } });
    assert.deepEqual([wrong.statusCode, wrong.json()], [401, { error: 'the credential is not valid' }]);
    const none = await plane.inject({ method: 'GET', url });
    assert.equal(none.statusCode, 401);
  }
});

test('a bootstrapTokenFile that does not exist refuses the start and is not created', async (t) => {
  const dir = tempDir();
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  const file = join(dir, 'secrets', 'admin-token');
  await assert.rejects(start(dir, file), (err: unknown) => {
    assert.ok(err instanceof ModelGateError);
    assert.equal(err.code, 'MG_CONFIG_INVALID');
    assert.equal(err.message, `the admin credential file ${file} does not exist; create it, or leave bootstrapTokenFile unset to generate one in the data folder`);
    return true;
  });
  assert.equal(existsSync(file), false, 'no credential was written where the secret should be');
  assert.equal(existsSync(join(dir, 'data', 'admin.token')), false);
});

test('a bootstrapTokenFile holding fewer than 32 characters refuses the start', async (t) => {
  const dir = tempDir();
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  const file = join(dir, 'short-token');
  writeFileSync(file, `${'x'.repeat(31)}\n`, { mode: 0o600 });
  await assert.rejects(start(dir, file), (err: unknown) => {
    assert.ok(err instanceof ModelGateError);
    assert.equal(err.code, 'MG_CONFIG_INVALID');
    assert.equal(err.message, `the admin credential in ${file} is shorter than 32 characters`);
    return true;
  });
});

test('without bootstrapTokenFile a credential is still generated into <dataDir>/admin.token', async (t) => {
  const dir = tempDir();
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  const config = loadConfig({ env: {}, flags: { dataDir: join(dir, 'data'), registryPollMs: 0, maxEventLoopDelayMs: 0, port: 0, adminPort: 0, host: '127.0.0.1', logLevel: 'silent' } });
  const server = await createServer(config, { logger: pino({ level: 'silent' }) });
  t.after(() => server.close());
  assert.deepEqual([server.credential.source, server.credential.created], [join(dir, 'data', 'admin.token'), true]);
});
