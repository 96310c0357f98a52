// Batching settings as a loaded model lives them: batching.enabled=false makes every request its own
// engine call, and the per-model overrides of the config file (models.<name>.batching) apply to that
// model only. Observed through the batch metrics of /metrics and the served version's `batched` flag.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { addModel, writeModel } from '../fixtures/onnx.ts';
import { tempDir, testServer, type TestServer } from '../fixtures/server.ts';

const repo = tempDir();
writeModel(repo, 'add', '1', addModel());
writeModel(repo, 'solo', '1', addModel());
const CALLERS = 4;
/**
 * A batch forms only when CALLERS rows are queued (the delay is the largest allowed, ten seconds), so
 * with batching on the CALLERS concurrent requests merge into exactly one engine call, whatever the
 * machine's speed.
 */
const MERGE_ALL = { 'batching.maxBatchSize': CALLERS, 'batching.maxQueueDelayMs': 10_000 };

/** Caller i sends a = [i, i, i], b = [100 i, ...] and must get back 101 i in each column. */
async function concurrentCallers(s: TestServer, model: string): Promise<void> {
  const send = (i: number) => s.server.inference.inject({
    method: 'POST', url: `/v2/models/${model}/infer`, headers: s.auth,
    payload: { inputs: [{ name: 'a', datatype: 'FP32', shape: [1, 3], data: [i, i, i] }, { name: 'b', datatype: 'FP32', shape: [1, 3], data: [100 * i, 100 * i, 100 * i] }] },
  });
  const answers = await Promise.all(Array.from({ length: CALLERS }, (_, i) => send(i + 1)));
  answers.forEach((res, i) => {
    assert.equal(res.statusCode, 200, res.body);
    assert.deepEqual(res.json().outputs[0].data, [101 * (i + 1), 101 * (i + 1), 101 * (i + 1)], `caller ${i + 1} got its own rows`);
  });
}

/** The batch histograms of a model as /metrics shows them: engine calls, rows and requests merged. */
async function batches(s: TestServer, model: string): Promise<{ calls: number; rows: number; requests: number }> {
  const res = await s.server.admin.inject({ method: 'GET', url: '/metrics', headers: s.auth });
  assert.equal(res.statusCode, 200);
  const value = (name: string) => {
    const m = new RegExp(`^${name}\\{model="${model}",version="1"\\} (\\d+)$`, 'm').exec(res.body);
    return m ? Number(m[1]) : 0;
  };
  const calls = value('modelgate_batch_size_count');
  assert.equal(value('modelgate_batch_requests_count'), calls, 'both histograms see every engine call');
  return { calls, rows: value('modelgate_batch_size_sum'), requests: value('modelgate_batch_requests_sum') };
}

test('with batching on, concurrent requests merge into one engine call and each caller gets its own answer', async (t) => {
  const s = await testServer(repo, MERGE_ALL);
  t.after(() => s.close());
  assert.equal(s.server.models.get('add', '1').batched, true);
  await concurrentCallers(s, 'add');
  assert.deepEqual(await batches(s, 'add'), { calls: 1, rows: CALLERS, requests: CALLERS });
});

test('with batching.enabled=false, each concurrent request is its own engine call of one row', async (t) => {
  const s = await testServer(repo, { ...MERGE_ALL, 'batching.enabled': false });
  t.after(() => s.close());
  assert.equal(s.server.models.get('add', '1').batched, false);
  await concurrentCallers(s, 'add');
  assert.deepEqual(await batches(s, 'add'), { calls: CALLERS, rows: CALLERS, requests: CALLERS });
});

test('models.<name>.batching in the config file applies to that model only', async (t) => {
  const dir = tempDir();
  const file = join(dir, 'modelgate.json');
  writeFileSync(file, JSON.stringify({ models: { solo: { batching: { maxBatchSize: 1 } } } }));
  const s = await testServer(repo, MERGE_ALL, file);
  t.after(() => s.close());
  await Promise.all([concurrentCallers(s, 'solo'), concurrentCallers(s, 'add')]);
  assert.deepEqual(await batches(s, 'solo'), { calls: CALLERS, rows: CALLERS, requests: CALLERS }, 'solo: one row per engine call');
  assert.deepEqual(await batches(s, 'add'), { calls: 1, rows: CALLERS, requests: CALLERS }, 'add keeps the global settings');
});

test('models.<name>.batching.enabled=false turns batching off for that model while the others merge', async (t) => {
  const dir = tempDir();
  const file = join(dir, 'modelgate.json');
  writeFileSync(file, JSON.stringify({ models: { solo: { batching: { enabled: false } } } }));
  const s = await testServer(repo, MERGE_ALL, file);
  t.after(() => s.close());
  assert.deepEqual([s.server.models.get('solo', '1').batched, s.server.models.get('add', '1').batched], [false, true]);
  await Promise.all([concurrentCallers(s, 'solo'), concurrentCallers(s, 'add')]);
  assert.deepEqual(await batches(s, 'solo'), { calls: CALLERS, rows: CALLERS, requests: CALLERS });
  assert.deepEqual(await batches(s, 'add'), { calls: 1, rows: CALLERS, requests: CALLERS });
});
