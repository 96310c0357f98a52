// Warm-up on load (runtime.warmup, src/runtime/model.ts): the engine runs once on a small input before
// the model serves. Seen without mocks through a graph that fails on exactly that input (zeros): with
// warm-up on, loading it fails before any request was sent; with warm-up off (globally, or for that
// model in the config file) it loads and serves, and only a request with that input fails.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { addModel, writeModel, zeroFailsModel } from '../fixtures/onnx.ts';
import { tempDir, testServer, type TestServer } from '../fixtures/server.ts';

const repo = tempDir();
writeModel(repo, 'trap', '1', zeroFailsModel());
writeModel(repo, 'add', '1', addModel());

const infer = (s: TestServer, idx: number[]) => s.server.inference.inject({
  method: 'POST', url: '/v2/models/trap/infer', headers: s.auth,
  payload: { inputs: [{ name: 'idx', datatype: 'INT64', shape: [idx.length], data: idx }] },
});

/** Loads with warm-up off, answers a valid request, fails only on the input warm-up would have used. */
async function servesWithoutWarmup(s: TestServer): Promise<void> {
  assert.equal(s.server.models.has('trap'), true, 'trap loaded');
  const ok = await infer(s, [-5, -3]);
  assert.equal(ok.statusCode, 200, ok.body);
  assert.deepEqual(ok.json().outputs[0].data, [10, 30]);
  const zero = await infer(s, [0]);
  assert.equal(zero.statusCode, 500, zero.body);
  assert.match(zero.json().error, /out of data bounds, idx=5 /, 'the warm-up input fails in the engine');
}

test('with runtime.warmup on (the default) the engine runs at load: a model failing on the warm-up input is not served', async (t) => {
  const s = await testServer(repo);
  t.after(() => s.close());
  assert.equal(s.server.config.runtime.warmup, true);
  assert.equal(s.server.models.has('trap'), false, 'no request was sent, yet the engine ran and failed');
  assert.equal(s.server.models.has('add'), true, 'a model that warms up fine is served');
  const listed = await s.server.admin.inject({ method: 'GET', url: '/admin/models', headers: s.auth });
  const failures = listed.json().failures as { name: string; version: string; reason: string }[];
  assert.deepEqual(failures.map((f) => [f.name, f.version]), [['trap', '1']]);
  // idx 0 shifted by five: the engine ran on the zeros of the warm-up input.
  assert.match(failures[0].reason, /out of data bounds, idx=5 /, failures[0].reason);
  const res = await infer(s, [-5]);
  assert.equal(res.statusCode, 404, res.body);
});

test('with runtime.warmup=false the same model loads and serves', async (t) => {
  const s = await testServer(repo, { 'runtime.warmup': false });
  t.after(() => s.close());
  await servesWithoutWarmup(s);
});

test('models.<name>.runtime.warmup=false in the config file turns warm-up off for that model only', async (t) => {
  const dir = tempDir();
  const file = join(dir, 'modelgate.json');
  writeFileSync(file, JSON.stringify({ models: { trap: { runtime: { warmup: false } } } }));
  const s = await testServer(repo, {}, file);
  t.after(() => s.close());
  assert.equal(s.server.config.runtime.warmup, true, 'the global setting stays on');
  await servesWithoutWarmup(s);
});
