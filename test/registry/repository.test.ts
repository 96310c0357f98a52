import { after, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, symlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { scanRepository } from '../../src/registry/index.ts';
import { addModel, writeModel } from '../fixtures/onnx.ts';
import { tempDir, testServer } from '../fixtures/server.ts';

const repo = tempDir();
writeModel(repo, 'good', '1', addModel());
writeModel(repo, 'good', '2', addModel(), { labels: ['x'] });
writeModel(repo, 'garbage', '1', new Uint8Array([1, 2, 3, 4]));
writeModel(repo, 'liar', '1', addModel(), { inputs: [{ name: 'a', datatype: 'INT64', shape: [-1, 3] }, { name: 'b', datatype: 'FP32', shape: [-1, 3] }] });
writeModel(repo, 'badjson', '1', addModel());
writeFileSync(join(repo, 'badjson', '1', 'manifest.json'), '{ nope');
mkdirSync(join(repo, 'Bad Name', '1'), { recursive: true });
mkdirSync(join(repo, 'empty'), { recursive: true });
mkdirSync(join(repo, 'linked', '1'), { recursive: true });
symlinkSync('/etc/hostname', join(repo, 'linked', '1', 'model.onnx'));

test('scanning reports each unreadable folder and keeps the readable ones', async () => {
  const scan = await scanRepository(repo);
  assert.deepEqual(scan.sources.map((s) => `${s.name}/${s.version}`).sort(), ['garbage/1', 'good/1', 'good/2', 'liar/1']);
  const reasons = Object.fromEntries(scan.failures.map((f) => [`${f.name}/${f.version ?? ''}`, f.reason]));
  assert.match(reasons['badjson/1'], /manifest.json is not valid JSON/);
  assert.match(reasons['Bad Name/'], /not a valid model name/);
  assert.match(reasons['empty/'], /no version folders/);
  assert.match(reasons['linked/1'], /model.onnx is missing or is not a regular file/, 'links are not followed');
});

test('the server loads the good models and reports those that fail, without stopping', async () => {
  const t = await testServer(repo);
  after(() => t.close());
  assert.deepEqual(t.server.models.names(), ['good']);
  const failures = Object.fromEntries(t.server.models.loadFailures().map((f) => [f.name, f.reason]));
  assert.match(failures.garbage, /the ONNX graph cannot be loaded/);
  assert.match(failures.liar, /input 'a' is FP32 in the graph, INT64 in the manifest/);
  const res = await t.server.inference.inject({ method: 'GET', url: '/v2/health/ready' });
  assert.equal(res.statusCode, 200, 'the server is ready to serve what it loaded');
});

test('a missing repository is a reported failure, not a crash', async () => {
  const scan = await scanRepository(join(repo, 'does-not-exist'));
  assert.equal(scan.sources.length, 0);
  assert.match(scan.failures[0].reason, /cannot be read/);
});
