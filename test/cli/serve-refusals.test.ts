// Settings that `modelgate serve` refuses before it serves anything: unsigned model folders without
// allowUnsigned; a configured admin credential file, trusted key path, import folder or TLS file that
// is not there; a bad flag value (named as the flag); and a webhook secret that is not set (before
// quickstart packages anything). Each exits 2 with one line.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { loadConfig } from '../../src/config/index.ts';
import { ModelGateError } from '../../src/errors.ts';
import { addModel, writeModel } from '../fixtures/onnx.ts';
import { tempDir } from '../fixtures/server.ts';

const UNSIGNED = 'modelRepository serves unsigned models: set allowUnsigned=true to accept that (development only), or package the models and use importDir';

function serve(args: string[], env: Record<string, string> = {}) {
  const r = spawnSync(process.execPath, ['bin/modelgate.js', 'serve', '--host', '127.0.0.1', '--port', '0', '--admin-port', '0', ...args], {
    encoding: 'utf8',
    // Nothing from the caller's environment may supply the settings under test.
    env: { PATH: process.env.PATH ?? '', ...env },
    timeout: 60_000,
  });
  return { code: r.status, err: r.stderr };
}

test('modelRepository without allowUnsigned is refused with MG_CONFIG_INVALID, from a flag, the environment or a file', (t) => {
  const repo = tempDir();
  t.after(() => rmSync(repo, { recursive: true, force: true }));
  writeModel(repo, 'add', '1', addModel());
  const refusal = (err: unknown) => {
    assert.ok(err instanceof ModelGateError);
    assert.deepEqual([err.code, err.message], ['MG_CONFIG_INVALID', UNSIGNED]);
    return true;
  };
  assert.throws(() => loadConfig({ env: {}, flags: { modelRepository: repo } }), refusal);
  assert.throws(() => loadConfig({ env: { MODELGATE_MODEL_REPOSITORY: repo } }), refusal);
  assert.throws(() => loadConfig({ env: {}, flags: { modelRepository: repo, allowUnsigned: false } }), refusal);
  const file = join(repo, 'modelgate.json');
  writeFileSync(file, JSON.stringify({ modelRepository: repo }));
  assert.throws(() => loadConfig({ env: {}, file }), refusal);
  // Saying yes is what lets it through.
  assert.equal(loadConfig({ env: {}, flags: { modelRepository: repo, allowUnsigned: true } }).modelRepository, repo);
});

test('modelgate serve --model-repository without --allow-unsigned exits 2 with the reason and creates nothing', (t) => {
  const repo = tempDir();
  const dir = tempDir();
  t.after(() => [repo, dir].forEach((d) => rmSync(d, { recursive: true, force: true })));
  writeModel(repo, 'add', '1', addModel());
  const dataDir = join(dir, 'data');
  const r = serve(['--data-dir', dataDir, '--model-repository', repo]);
  assert.equal(r.code, 2, r.err);
  assert.equal(r.err, `modelgate: ${UNSIGNED}\n`);
  assert.equal(existsSync(dataDir), false, 'no data folder, credential or store was made');
});

test('modelgate serve with a --bootstrap-token-file that does not exist exits 2 and writes no credential', (t) => {
  const dir = tempDir();
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  const file = join(dir, 'secrets', 'admin-token');
  const r = serve(['--data-dir', join(dir, 'data'), '--bootstrap-token-file', file]);
  assert.equal(r.code, 2, r.err);
  assert.equal(r.err, `modelgate: the admin credential file ${file} does not exist; create it, or leave bootstrapTokenFile unset to generate one in the data folder\n`);
  assert.equal(existsSync(file), false);
  assert.equal(existsSync(join(dir, 'data', 'admin.token')), false);
});

test('a bad flag value is refused naming the flag as typed, not the setting key', () => {
  const r = serve(['--ood-mode', 'maybe']);
  assert.equal(r.code, 2, r.err);
  assert.equal(r.err, 'modelgate: option --ood-mode: expected one of off, record, flag, reject, got "maybe"\n');
  const batch = serve(['--batching-max-batch-size', '0']);
  assert.equal(batch.err, 'modelgate: option --batching-max-batch-size: expected an integer from 1 to 65536, got "0"\n');
});

test('quickstart with a webhook whose secretEnv is not set exits 2 before it makes a key or packages anything', (t) => {
  const dir = tempDir();
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  const config = join(dir, 'modelgate.json');
  writeFileSync(config, JSON.stringify({ alerts: { webhooks: [{ name: 'pager', url: 'https://pager.example/hook', secretEnv: 'MG_TEST_PAGER_SECRET' }] } }));
  const dataDir = join(dir, 'data');
  const r = spawnSync(process.execPath, ['bin/modelgate.js', 'quickstart', '--host', '127.0.0.1', '--port', '0', '--admin-port', '0', '--data-dir', dataDir, '--config', config], {
    encoding: 'utf8', env: { PATH: process.env.PATH ?? '' }, timeout: 120_000,
  });
  assert.equal(r.status, 2, r.stderr);
  assert.equal(r.stderr, 'modelgate: alerts webhook pager: environment variable MG_TEST_PAGER_SECRET is not set\n');
  assert.equal(existsSync(dataDir), false, 'no signing key, package, store or credential was made');
});

test('a trusted key path that does not exist is refused with the reason, not only "cannot be read"', (t) => {
  const dir = tempDir();
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  const missing = join(dir, 'trusted.pub');
  const r = serve(['--data-dir', join(dir, 'data'), '--trusted-keys', missing]);
  assert.equal(r.code, 2, r.err);
  assert.equal(r.err, `modelgate: trusted key path ${missing} cannot be read: not found\n`);
});

test('an importDir or a TLS file that does not exist is refused with the reason, not served around', (t) => {
  const dir = tempDir();
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  const missing = join(dir, 'packages');
  const r = serve(['--data-dir', join(dir, 'data'), '--import-dir', missing]);
  assert.equal(r.code, 2, r.err);
  assert.equal(r.err, `modelgate: importDir ${missing} cannot be read: not found\n`);
  const cert = join(dir, 'tls.crt');
  const tls = serve(['--data-dir', join(dir, 'data'), '--tls-cert', cert, '--tls-key', join(dir, 'tls.key')]);
  assert.equal(tls.code, 2, tls.err);
  assert.match(tls.err, new RegExp(`^modelgate: .*file ${cert.replace(/[.]/g, '\\.')} cannot be read: not found\\n$`));
});
