import { test } from 'node:test';
import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { envName, flagName, loadConfig } from '../../src/config/index.ts';
import { tempDir } from '../fixtures/server.ts';

test('defaults apply when nothing is set, and the result is frozen', () => {
  const c = loadConfig({ env: {}, cwd: '/srv' });
  assert.equal(c.port, 8080);
  assert.equal(c.adminHost, '127.0.0.1');
  assert.equal(c.dataDir, '/srv/data');
  assert.equal(c.batching.enabled, true);
  assert.ok(Object.isFrozen(c) && Object.isFrozen(c.batching));
  assert.throws(() => {
    (c as { port: number }).port = 1;
  }, TypeError);
});

test('names of environment variables and flags derive from the key', () => {
  assert.equal(envName('adminPort'), 'MODELGATE_ADMIN_PORT');
  assert.equal(envName('batching.maxQueueDelayMs'), 'MODELGATE_BATCHING_MAX_QUEUE_DELAY_MS');
  assert.equal(flagName('batching.maxBatchSize'), '--batching-max-batch-size');
});

test('flags override the environment, which overrides the file', () => {
  const dir = tempDir();
  const file = join(dir, 'mg.json');
  writeFileSync(file, JSON.stringify({ port: 1000, adminPort: 1001, dataDir: 'state', batching: { maxBatchSize: 8 } }));
  const c = loadConfig({ file, env: { MODELGATE_ADMIN_PORT: '2001', MODELGATE_PORT: '2000' }, flags: { port: '3000' } });
  assert.equal(c.port, 3000);
  assert.equal(c.adminPort, 2001);
  assert.equal(c.batching.maxBatchSize, 8);
  assert.equal(c.dataDir, join(dir, 'state'), 'paths in the file are relative to the file');
  assert.equal(c.configFile, file);
});

test('bad values are refused with the source and the expectation', () => {
  assert.throws(() => loadConfig({ env: { MODELGATE_PORT: 'eighty' } }), /environment variable MODELGATE_PORT: expected an integer from 0 to 65535, got "eighty"/);
  assert.throws(() => loadConfig({ env: { MODELGATE_BATCHING_ENABLED: 'yes' } }), /MODELGATE_BATCHING_ENABLED: expected true or false/);
  assert.throws(() => loadConfig({ env: { MODELGATE_LOG_LEVEL: 'loud' } }), /expected one of fatal, error/);
  assert.throws(() => loadConfig({ flags: { port: 70000 } }), /option --port: expected an integer/);
});

test('a bad value names where it was written: the flag, the environment variable, the file key', () => {
  // The walkthrough's three: each used to say "option --oodMode", "option --batching.maxBatchSize", "option --maxBodyBytes".
  assert.throws(() => loadConfig({ env: {}, flags: { oodMode: 'maybe' } }), /^ModelGateError: option --ood-mode: expected one of off, record, flag, reject, got "maybe"$/);
  assert.throws(() => loadConfig({ env: {}, flags: { 'batching.maxBatchSize': '0' } }), /^ModelGateError: option --batching-max-batch-size: expected an integer from 1 to 65536, got "0"$/);
  assert.throws(() => loadConfig({ env: {}, flags: { maxBodyBytes: '5' } }), /^ModelGateError: option --max-body-bytes: expected an integer from 1024 to/);
  assert.throws(() => loadConfig({ env: { MODELGATE_BATCHING_MAX_BATCH_SIZE: '0' } }), /^ModelGateError: environment variable MODELGATE_BATCHING_MAX_BATCH_SIZE: expected an integer/);
  const dir = tempDir();
  const file = join(dir, 'mg.json');
  writeFileSync(file, JSON.stringify({ batching: { maxBatchSize: 0 }, oodMode: 'maybe' }));
  assert.throws(() => loadConfig({ env: {}, file }), /^ModelGateError: config file setting '(oodMode|batching\.maxBatchSize)': expected/);
});

test('a config file that cannot be read says why', () => {
  const dir = tempDir();
  assert.throws(() => loadConfig({ env: {}, file: join(dir, 'missing.json') }), { message: `config file ${join(dir, 'missing.json')} cannot be read: not found` });
  assert.throws(() => loadConfig({ env: {}, file: dir }), { message: `config file ${dir} cannot be read: is a folder, not a file` });
});

test('a short bootstrap token is refused and never echoed', () => {
  assert.throws(
    () => loadConfig({ env: { MODELGATE_BOOTSTRAP_TOKEN: 'short-secret' } }),
    (err: Error) => /at least 32 characters/.test(err.message) && !err.message.includes('short-secret'),
  );
});

test('the config file is checked: unknown keys, bad JSON, bad model overrides', () => {
  const dir = tempDir();
  const typo = join(dir, 'typo.json');
  writeFileSync(typo, JSON.stringify({ batching: { maxBatchSise: 4 } }));
  assert.throws(() => loadConfig({ file: typo, env: {} }), /unknown setting 'batching.maxBatchSise'/);
  const broken = join(dir, 'broken.json');
  writeFileSync(broken, '{ "port": ');
  assert.throws(() => loadConfig({ file: broken, env: {} }), /is not a JSON object/);
  const models = join(dir, 'models.json');
  writeFileSync(models, JSON.stringify({ models: { spam: { batching: { maxBatchSize: 0 } } } }));
  assert.throws(() => loadConfig({ file: models, env: {} }), /models.spam.batching.maxBatchSize/);
  assert.throws(() => loadConfig({ file: join(dir, 'missing.json'), env: {} }), /cannot be read/);
});

test('per-model overrides are kept for the model they name', async () => {
  const { settingsForModel } = await import('../../src/config/index.ts');
  const dir = tempDir();
  const file = join(dir, 'mg.json');
  writeFileSync(file, JSON.stringify({ models: { spam: { batching: { maxBatchSize: 4 }, runtime: { intraOpThreads: 2 } } } }));
  const c = loadConfig({ file, env: {} });
  assert.equal(settingsForModel(c, 'spam').batching.maxBatchSize, 4);
  assert.equal(settingsForModel(c, 'spam').runtime.intraOpThreads, 2);
  assert.equal(settingsForModel(c, 'other').batching.maxBatchSize, c.batching.maxBatchSize);
});

test('a settings section can come whole from its environment variable as JSON, replacing the file\'s', () => {
  const dir = tempDir();
  const file = join(dir, 'c.json');
  writeFileSync(file, JSON.stringify({ rateLimits: { perPrincipal: { capacity: 10, refillPerSecond: 5 } }, models: { spam: { ood: 'flag' } } }));
  const fromFile = loadConfig({ file, env: {} });
  assert.deepEqual(fromFile.rateLimits.perPrincipal, { capacity: 10, refillPerSecond: 5 });
  const c = loadConfig({ file, env: { MODELGATE_RATE_LIMITS: '{"perPrincipal": null}', MODELGATE_MODELS: '{"spam": {"ood": "reject"}}' } });
  assert.equal(c.rateLimits.perPrincipal, null);
  assert.deepEqual(c.rateLimits.perModel, { capacity: 4000, refillPerSecond: 2000 }, 'the rest of the section takes its defaults');
  assert.equal(c.models.spam.ood, 'reject');
  assert.throws(() => loadConfig({ env: { MODELGATE_DRIFT: '{"window": ' } }), /environment variable MODELGATE_DRIFT must hold the 'drift' section as JSON; it is not valid JSON/);
  assert.throws(() => loadConfig({ env: { MODELGATE_RATE_LIMITS: '{"perPrincipal": {"capacity": -1, "refillPerSecond": 1}}' } }), /^.*environment variable MODELGATE_RATE_LIMITS 'rateLimits.perPrincipal.capacity'/);
  assert.throws(() => loadConfig({ env: { MODELGATE_MODELS: '{"spam": {"batching": {"maxBatchSize": 0}}}' } }), /environment variable MODELGATE_MODELS 'models.spam.batching.maxBatchSize'/);
});

test('MODELGATE_* variables no setting reads are reported, and Kubernetes service links are named as such', () => {
  assert.deepEqual(loadConfig({ env: { MODELGATE_PORT: '8080' } }).warnings, []);
  // The CLI's own variables and a webhook's secret are read, just not by a setting.
  const dir = tempDir();
  const file = join(dir, 'alerts.json');
  writeFileSync(file, JSON.stringify({ alerts: { webhooks: [{ name: 'pager', url: 'https://pager.example/hook', secretEnv: 'MODELGATE_WEBHOOK_SECRET' }] } }));
  const read = { MODELGATE_TOKEN: 't', MODELGATE_ADMIN_URL: 'http://127.0.0.1:8081', MODELGATE_DEBUG: '1', MODELGATE_WEBHOOK_SECRET: 's' };
  assert.deepEqual(loadConfig({ file, env: read }).warnings, []);
  const typo = loadConfig({ env: { MODELGATE_LOGLEVEL: 'debug' } });
  assert.deepEqual(typo.warnings, ['environment variables no setting reads, ignored: MODELGATE_LOGLEVEL']);
  const links = loadConfig({ env: { MODELGATE_SERVICE_HOST: '10.0.0.5', MODELGATE_PORT_8080_TCP_ADDR: '10.0.0.5' } });
  assert.match(links.warnings[0], /MODELGATE_PORT_8080_TCP_ADDR, MODELGATE_SERVICE_HOST; these look like Kubernetes service links .* enableServiceLinks: false/);
  assert.throws(() => loadConfig({ env: { MODELGATE_PORT: 'tcp://10.0.0.5:8080' } }), /MODELGATE_PORT: expected an integer .*Kubernetes service link .*enableServiceLinks: false/);
});
