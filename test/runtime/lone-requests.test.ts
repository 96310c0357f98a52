// Lone requests (runtime.loneInlineMs, src/runtime/lone.ts): a request of one row that arrives while
// no other inference is in flight runs on the server thread's own session; concurrent requests still
// merge in the engine worker. Observed through /metrics: modelgate_engine_inline_runs_total against
// the batch histograms, with the answers checked row by row. The budgets are generous: on a machine
// busy with other tests a hand-off alone can take milliseconds.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { addModel, slowModel, writeModel } from '../fixtures/onnx.ts';
import { tempDir, testServer, type TestServer } from '../fixtures/server.ts';

const repo = tempDir();
writeModel(repo, 'add', '1', addModel());
writeModel(repo, 'solo', '1', addModel());
writeModel(repo, 'merged', '1', addModel());
// 800 chained 256 x 256 MatMuls: one row takes milliseconds, well over a 1 ms request timeout.
writeModel(repo, 'slow', '1', slowModel(800));
const N = 5;

/** Caller i sends a = [i, i, i], b = [100 i, ...] and must get back 101 i in each column. */
function send(s: TestServer, model: string, i: number) {
  return s.server.inference.inject({
    method: 'POST', url: `/v2/models/${model}/infer`, headers: s.auth,
    payload: { inputs: [{ name: 'a', datatype: 'FP32', shape: [1, 3], data: [i, i, i] }, { name: 'b', datatype: 'FP32', shape: [1, 3], data: [100 * i, 100 * i, 100 * i] }] },
  });
}

async function oneByOne(s: TestServer, model: string): Promise<void> {
  for (let i = 1; i <= N; i++) {
    const res = await send(s, model, i);
    assert.equal(res.statusCode, 200, res.body);
    assert.deepEqual(res.json().outputs[0].data, [101 * i, 101 * i, 101 * i]);
  }
}

/** Engine calls of a model, and how many of them ran on the server thread. */
async function calls(s: TestServer, model: string): Promise<{ calls: number; inline: number }> {
  const res = await s.server.admin.inject({ method: 'GET', url: '/metrics', headers: s.auth });
  assert.equal(res.statusCode, 200);
  const value = (name: string) => Number(new RegExp(`^${name}\\{model="${model}",version="1"\\} (\\d+)$`, 'm').exec(res.body)?.[1] ?? 0);
  return { calls: value('modelgate_batch_size_count'), inline: value('modelgate_engine_inline_runs_total') };
}

test('requests of one row sent one at a time run on the server thread; others go to the worker', async (t) => {
  // 'merged' forms a batch only when four rows are queued: four concurrent callers make one call.
  const file = join(tempDir(), 'modelgate.json');
  writeFileSync(file, JSON.stringify({ models: { merged: { batching: { maxBatchSize: 4, maxQueueDelayMs: 10_000 } } } }));
  const s = await testServer(repo, { 'runtime.loneInlineMs': 100 }, file);
  t.after(() => s.close());
  await oneByOne(s, 'add');
  assert.deepEqual(await calls(s, 'add'), { calls: N, inline: N });
  const pair = await s.server.inference.inject({
    method: 'POST', url: '/v2/models/add/infer', headers: s.auth,
    payload: { inputs: [{ name: 'a', datatype: 'FP32', shape: [2, 3], data: [1, 1, 1, 2, 2, 2] }, { name: 'b', datatype: 'FP32', shape: [2, 3], data: [3, 3, 3, 4, 4, 4] }] },
  });
  assert.deepEqual(pair.json().outputs[0].data, [4, 4, 4, 6, 6, 6]);
  assert.deepEqual(await calls(s, 'add'), { calls: N + 1, inline: N }, 'a lone request of two rows went to the worker');
  const answers = await Promise.all([1, 2, 3, 4].map((i) => send(s, 'merged', i)));
  answers.forEach((res, k) => assert.deepEqual(res.json().outputs[0].data, Array(3).fill(101 * (k + 1)), `caller ${k + 1} got its own rows`));
  assert.deepEqual(await calls(s, 'merged'), { calls: 1, inline: 0 }, 'the merged call went to the worker');
});

test('an answer computed on the server thread past the request timeout is a timeout, not a late 200', async (t) => {
  const s = await testServer(repo, { 'runtime.loneInlineMs': 100, requestTimeoutMs: 1 });
  t.after(() => s.close());
  const res = await s.server.inference.inject({
    method: 'POST', url: '/v2/models/slow/infer', headers: s.auth,
    payload: { inputs: [{ name: 'x', datatype: 'FP32', shape: [1, 256], data: Array(256).fill(1) }] },
  });
  assert.deepEqual(await calls(s, 'slow'), { calls: 1, inline: 1 }, 'it ran on the server thread, where no timer can fire');
  assert.equal(res.statusCode, 504, res.body);
  assert.match(res.json().error, /did not finish within 1 ms/);
});

test('runtime.loneInlineMs 0 sends every call to the worker; the per-model override applies to that model only', async (t) => {
  const off = await testServer(repo, { 'runtime.loneInlineMs': 0 });
  t.after(() => off.close());
  await oneByOne(off, 'add');
  assert.deepEqual(await calls(off, 'add'), { calls: N, inline: 0 });

  const file = join(tempDir(), 'modelgate.json');
  writeFileSync(file, JSON.stringify({ models: { solo: { runtime: { loneInlineMs: 0 } } } }));
  const s = await testServer(repo, { 'runtime.loneInlineMs': 100 }, file);
  t.after(() => s.close());
  await oneByOne(s, 'solo');
  await oneByOne(s, 'add');
  assert.deepEqual(await calls(s, 'solo'), { calls: N, inline: 0 });
  assert.deepEqual(await calls(s, 'add'), { calls: N, inline: N });
});

test('with runtime.warmup off the graph is never run to judge its speed: every call goes to the worker', async (t) => {
  const s = await testServer(repo, { 'runtime.warmup': false, 'runtime.loneInlineMs': 100 });
  t.after(() => s.close());
  await oneByOne(s, 'add');
  assert.deepEqual(await calls(s, 'add'), { calls: N, inline: 0 });
});
