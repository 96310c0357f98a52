// Lone requests (runtime.loneInlineMs, src/runtime/lone.ts): a request that arrives while no other
// inference is in flight runs on the server thread's own session; concurrent requests still merge in
// the engine worker. Observed through /metrics: modelgate_engine_inline_runs_total against the batch
// histograms, with the answers checked row by row.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { addModel, writeModel } from '../fixtures/onnx.ts';
import { tempDir, testServer, type TestServer } from '../fixtures/server.ts';

const repo = tempDir();
writeModel(repo, 'add', '1', addModel());
writeModel(repo, 'solo', '1', addModel());
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

test('requests sent one at a time run on the server thread; concurrent ones merge in the worker', async (t) => {
  // A batch forms only when four rows are queued, so the four concurrent callers make one engine call.
  // The budget is generous: on a machine busy with other tests a hand-off alone can take milliseconds.
  const s = await testServer(repo, { 'batching.maxBatchSize': 4, 'batching.maxQueueDelayMs': 10_000, 'runtime.loneInlineMs': 100 });
  t.after(() => s.close());
  await oneByOne(s, 'add');
  assert.deepEqual(await calls(s, 'add'), { calls: N, inline: N });
  const answers = await Promise.all([1, 2, 3, 4].map((i) => send(s, 'add', i)));
  answers.forEach((res, k) => assert.deepEqual(res.json().outputs[0].data, Array(3).fill(101 * (k + 1)), `caller ${k + 1} got its own rows`));
  assert.deepEqual(await calls(s, 'add'), { calls: N + 1, inline: N }, 'the merged call went to the worker');
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
